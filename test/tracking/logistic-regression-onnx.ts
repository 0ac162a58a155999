/**
 * A small logistic-regression ONNX model for the tracking tests (the ML area exports the real
 * models): one float input `input` [N, k], output `probability` [N, 1] = sigmoid(x·w + b).
 *
 * @example
 * ```ts
 * const bytes = logisticRegressionOnnx({ weights: [0.5, -0.25], bias: 0.1 });
 * ```
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Serializes sigmoid(x·weights + bias) as an ONNX model (opset 13). */
export function logisticRegressionOnnx(options: { weights: readonly number[]; bias: number }): Uint8Array {
  const k = options.weights.length;
  const floatTensor = (name: string, dims: number[]): InstanceType<typeof onnx.ValueInfoProto> =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: dims.map((d) => (d < 0 ? { dimParam: 'N' } : { dimValue: d })) },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: 'logistic_regression',
    node: [
      onnx.NodeProto.create({ opType: 'MatMul', input: ['input', 'W'], output: ['z0'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['z0', 'B'], output: ['z'] }),
      onnx.NodeProto.create({ opType: 'Sigmoid', input: ['z'], output: ['probability'] }),
    ],
    initializer: [
      onnx.TensorProto.create({
        name: 'W',
        dims: [k, 1],
        dataType: onnx.TensorProto.DataType.FLOAT,
        floatData: [...options.weights],
      }),
      onnx.TensorProto.create({
        name: 'B',
        dims: [1],
        dataType: onnx.TensorProto.DataType.FLOAT,
        floatData: [options.bias],
      }),
    ],
    input: [floatTensor('input', [-1, k])],
    output: [floatTensor('probability', [-1, 1])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'lakeloop-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
