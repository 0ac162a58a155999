/**
 * The preview of one object (`GET …/objects/preview`, 50 rows): a Parquet or CSV file as a table
 * with its column names and types, a text file as text, a binary one as its size.
 */
import { Loaded } from '../../components/loaded.js';
import { useApi } from '../../use-api.js';
import { bytes, cellText } from './data-format.js';
import { queryString, repoApi } from './data-paths.js';
import type { ObjectPreview } from './types.js';

const PREVIEW_ROWS = 50;

/** The preview panel of `path` at `refName`. */
export function ObjectPreviewPanel({ repo, refName, path }: { repo: string; refName: string; path: string }) {
  const preview = useApi<ObjectPreview>(
    repoApi(repo, `/objects/preview${queryString({ ref: refName, path, rows: PREVIEW_ROWS })}`),
  );
  return (
    <section aria-labelledby="preview-title" className="data-preview">
      <h3 id="preview-title">
        Preview of <span className="mono">{path}</span>
      </h3>
      <Loaded state={preview}>{(answer) => <PreviewBody preview={answer} />}</Loaded>
    </section>
  );
}

function PreviewBody({ preview }: { preview: ObjectPreview }) {
  const about = `${bytes(preview.size)} · ${preview.contentType}`;
  switch (preview.kind) {
    case 'table':
      return (
        <>
          <p className="muted">
            {preview.format} · {about} · {preview.columns.length} columns
            {preview.totalRows === undefined ? '' : ` · ${preview.totalRows.toLocaleString()} rows`}
            {preview.truncated ? ` · the first ${preview.rows.length} shown` : ''}
          </p>
          <div
            className="data-preview-table"
            tabIndex={0}
            role="region"
            aria-label={`Rows of ${preview.path}`}
          >
            <table>
              <thead>
                <tr>
                  {preview.columns.map((column) => (
                    <th key={column.name} scope="col">
                      {column.name} <span className="data-column-type">{column.type}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row, i) => (
                  <tr key={i}>
                    {row.map((cell, j) => (
                      <td key={j} className="mono">
                        {cellText(cell)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      );
    case 'text':
      return (
        <>
          <p className="muted">
            text · {about}
            {preview.truncated ? ' · the first 64 KiB shown' : ''}
          </p>
          <pre className="data-preview-text" tabIndex={0} aria-label={`Text of ${preview.path}`}>
            {preview.text}
          </pre>
        </>
      );
    case 'binary':
      return <p>Binary object: {about}. No preview.</p>;
  }
}
