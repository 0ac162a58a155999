/**
 * ONNX export of lakeloop models, written with `onnx-proto`.
 *
 * Convention (shared with the tracking area): one input `input`, float32 `[N, k]`; binary
 * classifiers output `probability` float32 `[N, 1]` = P(y=1), regressors `prediction` `[N, 1]`;
 * metadata_props carry `feature_names` (a JSON array), `lakeloop_model` and `objective`.
 *
 * @example
 * ```ts
 * import { InferenceSession, Tensor } from 'onnxruntime-node';
 * const session = await InferenceSession.create(model.toOnnx());
 * const out = await session.run({ input: new Tensor('float32', features, [rows, model.columns]) });
 * ```
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;

/** What the tree-ensemble export needs from a model. */
export interface TreeEnsembleSource {
  objective: 'binary' | 'squaredError';
  baseScore: number;
  featureNames: readonly string[];
  trees: readonly {
    feature: Int32Array;
    threshold: Float32Array;
    missingLeft: Uint8Array;
    left: Int32Array;
    right: Int32Array;
    value: Float32Array;
  }[];
}

/** What the linear export needs from a model. */
export interface LinearSource {
  featureNames: readonly string[];
  /** Per-feature mean and standard deviation used to standardize. */
  mean: Float64Array;
  scale: Float64Array;
  /** Weights on standardized features, and the intercept. */
  weights: Float64Array;
  intercept: number;
}

const encoder = new TextEncoder();

function attr(
  name: string,
  value: number[] | string[] | string | number,
  kind: 'ints' | 'floats' | 'strings' | 'int' | 'string',
): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (kind) {
    case 'ints':
      return { name, type: T.INTS, ints: value as number[] };
    case 'floats':
      return { name, type: T.FLOATS, floats: value as number[] };
    case 'strings':
      return { name, type: T.STRINGS, strings: (value as string[]).map((s) => encoder.encode(s)) };
    case 'int':
      return { name, type: T.INT, i: value as number };
    case 'string':
      return { name, type: T.STRING, s: encoder.encode(value as string) };
  }
}

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(values) };
}

function valueInfo(name: string, columns: number | null): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, columns === null ? { dimValue: 1 } : { dimValue: columns }] },
      },
    },
  };
}

function encodeModel(options: {
  graphName: string;
  nodes: INodeProto[];
  initializers: ITensorProto[];
  columns: number;
  output: string;
  metadata: Record<string, string>;
}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'lakeloop',
    producerVersion: '0.1.0',
    opsetImport: [
      { domain: '', version: 13 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName,
      node: options.nodes,
      initializer: options.initializers,
      input: [valueInfo('input', options.columns)],
      output: [valueInfo(options.output, null)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Encodes a tree ensemble as `TreeEnsembleRegressor` (+ `Sigmoid` for binary). */
export function gradientBoostingToOnnx(model: TreeEnsembleSource): Uint8Array {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetIds: number[] = [];
  const targetWeights: number[] = [];
  model.trees.forEach((tree, t) => {
    for (let n = 0; n < tree.feature.length; n++) {
      const f = tree.feature[n] ?? -1;
      treeIds.push(t);
      nodeIds.push(n);
      if (f >= 0) {
        featureIds.push(f);
        modes.push('BRANCH_LEQ');
        values.push(tree.threshold[n] ?? 0);
        trueIds.push(tree.left[n] ?? 0);
        falseIds.push(tree.right[n] ?? 0);
        missingTrue.push(tree.missingLeft[n] ?? 0);
      } else {
        featureIds.push(0);
        modes.push('LEAF');
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        targetTree.push(t);
        targetNode.push(n);
        targetIds.push(0);
        targetWeights.push(tree.value[n] ?? 0);
      }
    }
  });
  const binary = model.objective === 'binary';
  const ensemble: INodeProto = {
    name: 'trees',
    opType: 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    input: ['input'],
    output: [binary ? 'raw_score' : 'prediction'],
    attribute: [
      attr('n_targets', 1, 'int'),
      attr('nodes_treeids', treeIds, 'ints'),
      attr('nodes_nodeids', nodeIds, 'ints'),
      attr('nodes_featureids', featureIds, 'ints'),
      attr('nodes_modes', modes, 'strings'),
      attr('nodes_values', values, 'floats'),
      attr('nodes_truenodeids', trueIds, 'ints'),
      attr('nodes_falsenodeids', falseIds, 'ints'),
      attr('nodes_missing_value_tracks_true', missingTrue, 'ints'),
      attr('target_treeids', targetTree, 'ints'),
      attr('target_nodeids', targetNode, 'ints'),
      attr('target_ids', targetIds, 'ints'),
      attr('target_weights', targetWeights, 'floats'),
      attr('base_values', [model.baseScore], 'floats'),
      attr('aggregate_function', 'SUM', 'string'),
      attr('post_transform', 'NONE', 'string'),
    ],
  };
  const nodes: INodeProto[] = [ensemble];
  if (binary)
    nodes.push({ name: 'sigmoid', opType: 'Sigmoid', input: ['raw_score'], output: ['probability'] });
  return encodeModel({
    graphName: 'lakeloop_gradient_boosting',
    nodes,
    initializers: [],
    columns: model.featureNames.length,
    output: binary ? 'probability' : 'prediction',
    metadata: {
      feature_names: JSON.stringify(model.featureNames),
      lakeloop_model: 'gradientBoosting',
      objective: model.objective,
    },
  });
}

/** Encodes standardized logistic regression as Sub, Mul, MatMul, Add, Sigmoid. */
export function logisticRegressionToOnnx(model: LinearSource): Uint8Array {
  const k = model.featureNames.length;
  const invScale = Array.from(model.scale, (s) => 1 / s);
  return encodeModel({
    graphName: 'lakeloop_logistic_regression',
    nodes: [
      { name: 'center', opType: 'Sub', input: ['input', 'mean'], output: ['centered'] },
      { name: 'scale', opType: 'Mul', input: ['centered', 'inv_scale'], output: ['standardized'] },
      { name: 'linear', opType: 'MatMul', input: ['standardized', 'weights'], output: ['product'] },
      { name: 'bias', opType: 'Add', input: ['product', 'intercept'], output: ['logit'] },
      { name: 'sigmoid', opType: 'Sigmoid', input: ['logit'], output: ['probability'] },
    ],
    initializers: [
      floatTensor('mean', [k], model.mean),
      floatTensor('inv_scale', [k], invScale),
      floatTensor('weights', [k, 1], model.weights),
      floatTensor('intercept', [1], [model.intercept]),
    ],
    columns: k,
    output: 'probability',
    metadata: {
      feature_names: JSON.stringify(model.featureNames),
      lakeloop_model: 'logisticRegression',
      objective: 'binary',
    },
  });
}
