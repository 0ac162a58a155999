// Checks run inside the page under test (injected by test/ui/ui-harness.ts with addInitScript):
// plain browser JavaScript, so the Node-typed test project needs no DOM types.
/* global window, document, getComputedStyle */
window.lakeloopProbes = {
  /** Controls without an accessible name, images without alt, a page without a heading. */
  labelProblems() {
    const found = [];
    const describe = (el) =>
      `<${el.tagName.toLowerCase()}${el.id ? ` id=${el.id}` : ''}${
        el.getAttribute('name') ? ` name=${el.getAttribute('name')}` : ''
      }>`;
    const nameOf = (el) => {
      const labelledBy = (el.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .map((id) => (id ? (document.getElementById(id)?.textContent ?? '') : ''))
        .join(' ');
      const labels = el.labels ? [...el.labels].map((l) => l.textContent).join(' ') : '';
      return [el.getAttribute('aria-label') ?? '', labelledBy, labels, el.getAttribute('title') ?? '']
        .join(' ')
        .trim();
    };
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type !== 'hidden' && nameOf(el) === '') found.push(`${describe(el)} has no label`);
    }
    for (const el of document.querySelectorAll('button, [role=button], a[href]')) {
      if (nameOf(el) === '' && (el.textContent ?? '').trim() === '')
        found.push(`${describe(el)} has no name`);
    }
    for (const el of document.querySelectorAll('img')) {
      if (!el.hasAttribute('alt')) found.push(`${describe(el)} has no alt`);
    }
    if (document.querySelectorAll('h1, h2').length === 0) found.push('the page has no heading');
    return found;
  },
  /** The focused element: its tag and whether it shows a focus indicator (outline or shadow). */
  focus() {
    const el = document.activeElement;
    if (el === null || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
    return { tag: el.tagName, visible: outline || style.boxShadow !== 'none' };
  },
};
