import * as ort from 'onnxruntime-node';
import { DataType, encodeModel } from './onnx-proto';

/**
 * Dense float64 matrix products on onnxruntime's CPU MatMul: one session of a one-node graph
 * `Y = MatMul(A, B)` with symbolic shapes, reused for every product. The adapter's training spends
 * nearly all its time in four such products per step; onnxruntime's blocked, vectorised kernel
 * does them some hundred times faster than JavaScript loops, in the same precision.
 *
 * The thread count is fixed (not "every core") because it decides how the kernel splits its work,
 * and so the last bits of the sums: fixed, the same inputs give byte-identical products on a
 * given CPU.
 */
export class MatMul {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(threads: number): Promise<MatMul> {
    const model = encodeModel({
      irVersion: 8,
      opsetVersion: 13,
      producerName: 'defect-rag',
      producerVersion: '1',
      graph: {
        name: 'matmul',
        nodes: [{ opType: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'] }],
        initializers: [],
        inputs: [
          { name: 'A', shape: ['m', 'k'], elemType: DataType.DOUBLE },
          { name: 'B', shape: ['k', 'n'], elemType: DataType.DOUBLE },
        ],
        outputs: [{ name: 'Y', shape: ['m', 'n'], elemType: DataType.DOUBLE }],
      },
    });
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    return new MatMul(session);
  }

  /** A (rows × inner, row-major) times B (inner × columns): rows × columns, row-major. */
  async product(a: Float64Array, rows: number, b: Float64Array, columns: number): Promise<Float64Array> {
    const inner = a.length / rows;
    const result = await this.session.run({
      A: new ort.Tensor('float64', a, [rows, inner]),
      B: new ort.Tensor('float64', b, [inner, columns]),
    });
    return result['Y']!.data as Float64Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The transpose of a rows × columns row-major matrix (linear in its size, unlike the products). */
export function transpose(matrix: Float64Array, rows: number, columns: number): Float64Array {
  const out = new Float64Array(matrix.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[j * rows + i] = matrix[i * columns + j]!;
  return out;
}
