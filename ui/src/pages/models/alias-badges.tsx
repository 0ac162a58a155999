/** A model's aliases as badges, the champion first (`champion v3`). */

/** The badges of `aliases` (alias → version). */
export function AliasBadges({ aliases }: { aliases: Record<string, string> }) {
  const entries = Object.entries(aliases).sort(([a], [b]) =>
    a === 'champion' ? -1 : b === 'champion' ? 1 : a.localeCompare(b),
  );
  if (entries.length === 0) return <span className="muted">no aliases</span>;
  return (
    <span className="alias-badges">
      {entries.map(([alias, version]) => (
        <span key={alias} className={`badge alias${alias === 'champion' ? ' champion' : ''}`}>
          {alias} v{version}
        </span>
      ))}
    </span>
  );
}
