/**
 * Assets: `/assets` is the catalog (table or graph, `?view=graph`, filtered by an asset selection
 * `?select=`), `/assets/<key>` one asset (its materializations, metadata plot, checks, partitions).
 */
import type { PageProps } from '../page-props.js';
import { AssetCatalog } from './asset-catalog.js';
import { AssetDetail } from './asset-detail.js';
import './assets.css';

/** The page. */
export function AssetsPage({ path }: PageProps) {
  const key = path.split('/').slice(2).join('/');
  return key === '' ? <AssetCatalog /> : <AssetDetail assetKey={decodeURIComponent(key)} />;
}

/** The app path of an asset's page. */
export function assetPath(key: string): string {
  return `/assets/${encodeURIComponent(key)}`;
}
