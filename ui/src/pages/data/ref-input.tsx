/**
 * Choosing a ref: a text box (a branch, a tag or a commit id) whose suggestions are the
 * repository's branches and tags (their first page, in one `<datalist>` shared by the view).
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useApi } from '../../use-api.js';
import { repoApi } from './data-paths.js';
import type { DataPage, RefInfo } from './types.js';

/** The id of the shared `<datalist>`. */
export const REF_OPTIONS_ID = 'data-ref-options';

/** The suggestions: the first 100 branches and tags. */
export function RefOptions({ repo }: { repo: string }) {
  const branches = useApi<DataPage<RefInfo>>(repoApi(repo, '/branches?limit=100'));
  const tags = useApi<DataPage<RefInfo>>(repoApi(repo, '/tags?limit=100'));
  return (
    <datalist id={REF_OPTIONS_ID}>
      {branches.data?.results.map((b) => (
        <option key={`b:${b.name}`} value={b.name} label="branch" />
      ))}
      {tags.data?.results.map((t) => (
        <option key={`t:${t.name}`} value={t.name} label="tag" />
      ))}
    </datalist>
  );
}

/** A labelled ref box. */
export function RefField({
  label,
  value,
  onChange,
  refList,
  name,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  refList: string;
  name: string;
}) {
  return (
    <label>
      {label}{' '}
      <input
        name={name}
        value={value}
        list={refList}
        onChange={(e) => {
          onChange(e.target.value);
        }}
        spellCheck={false}
        autoComplete="off"
        required
      />
    </label>
  );
}

/** A one-ref form: edit the box, submit to show that ref (the caller puts it in the URL). */
export function RefForm({
  label,
  value,
  refList,
  onSubmit,
  children,
}: {
  label: string;
  value: string;
  refList: string;
  onSubmit: (ref: string) => void;
  children?: ReactNode;
}) {
  const [draft, setDraft] = useState(value);
  return (
    <form
      className="data-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (draft.trim() !== '') onSubmit(draft.trim());
      }}
    >
      <RefField label={label} value={draft} onChange={setDraft} refList={refList} name="ref" />
      <button type="submit">Show</button>
      {children}
    </form>
  );
}
