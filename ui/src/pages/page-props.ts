/** What every page gets from the app shell. */
export interface PageProps {
  /** The whole path, e.g. `/runs/abc` (the page reads its sub-route from it). */
  path: string;
}
