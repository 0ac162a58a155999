/**
 * Models: the registered models (`/models?name=`), and one model (`/models/<name>?version=&metrics=`)
 * with its versions, their metrics across versions, the alias history, promote and roll back.
 */
import type { PageProps } from '../page-props.js';
import { ModelDetail } from './model-detail.js';
import { ModelList } from './model-list.js';
import { modelNameOf } from './model-paths.js';
import '../experiments/experiments.css';
import './models.css';

/** The page. */
export function ModelsPage({ path }: PageProps) {
  const name = modelNameOf(path);
  return name === undefined ? <ModelList /> : <ModelDetail key={name} name={name} />;
}
