/**
 * A small writer for the subset of ONNX's protobuf schema (onnx/onnx.proto, proto2) that a
 * feed-forward graph needs: ModelProto, OperatorSetIdProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto (raw_data), ValueInfoProto, TypeProto.Tensor and TensorShapeProto.
 *
 * Why not a package: the npm options are protobufjs plus a generated or bundled onnx.proto (a
 * large dependency, and one more schema copy to keep in step) or onnx-proto (unmaintained since
 * 2020). Encoding is the easy half of protobuf — varints, length-delimited fields and fixed32 —
 * and these nine messages need about a hundred lines, which are checked end to end by
 * onnxruntime-node loading and running the result (tools/test/inception-v3.test.ts, and every
 * adapter training, whose matrix products run through a one-node graph: ./matmul.ts).
 *
 * Field numbers are onnx.proto's. Repeated scalars are written unpacked, as proto2 declares them
 * (parsers accept both forms). Tensors carry their values in `raw_data`, little-endian.
 */

/** onnx.proto's TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;

/** AttributeProto.AttributeType. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** Protobuf wire types. */
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Builds one message as a list of byte chunks, joined once at the end. */
class MessageWriter {
  private readonly chunks: Uint8Array[] = [];

  private key(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  private varint(value: bigint): void {
    // Negative int64 values are their 64-bit two's complement, ten bytes long.
    let v = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.chunks.push(Uint8Array.from(bytes));
  }

  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new Error(`protobuf field ${field}: ${value} is not an integer`);
    }
    this.key(field, VARINT);
    this.varint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.chunks.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.varint(BigInt(value.byteLength));
    this.chunks.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: MessageWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const total = this.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

/** An attribute's type is explicit where JavaScript cannot tell an int from a float. */
export type Attribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; string: string }
  | { name: string; ints: readonly number[] };

export interface Node {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: readonly Attribute[];
}

export interface Tensor {
  name: string;
  dims: readonly number[];
  /** FLOAT as a Float32Array, INT64 as a BigInt64Array. */
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: float32 unless told, each dimension a size or a symbolic name. */
export interface ValueInfo {
  name: string;
  shape: readonly (number | string)[];
  elemType?: number;
}

export interface Graph {
  name: string;
  nodes: readonly Node[];
  initializers: readonly Tensor[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  docString?: string;
}

export interface Model {
  graph: Graph;
  /** ONNX IR version (8 goes with opset 13–17). */
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
}

function attribute(attr: Attribute): MessageWriter {
  const w = new MessageWriter().string(1, attr.name); // AttributeProto.name = 1
  if ('int' in attr) return w.int(3, attr.int).int(20, AttributeType.INT); // i = 3, type = 20
  if ('float' in attr) return w.float(2, attr.float).int(20, AttributeType.FLOAT); // f = 2
  if ('string' in attr) return w.string(4, attr.string).int(20, AttributeType.STRING); // s = 4
  for (const value of attr.ints) w.int(8, value); // ints = 8
  return w.int(20, AttributeType.INTS);
}

function node(n: Node): MessageWriter {
  const w = new MessageWriter();
  for (const input of n.inputs) w.string(1, input); // NodeProto.input = 1
  for (const output of n.outputs) w.string(2, output); // output = 2
  if (n.name) w.string(3, n.name); // name = 3
  w.string(4, n.opType); // op_type = 4
  for (const attr of n.attributes ?? []) w.message(5, attribute(attr)); // attribute = 5
  return w;
}

/** Little-endian bytes of a typed array, whatever the host's byte order. */
function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((value, i) => view.setFloat32(i * 4, value, true));
  else data.forEach((value, i) => view.setBigInt64(i * 8, value, true));
  return out;
}

function tensor(t: Tensor): MessageWriter {
  const count = t.dims.reduce((product, dim) => product * dim, 1);
  if (count !== t.data.length) {
    throw new Error(`tensor ${t.name}: dims [${t.dims.join(', ')}] hold ${count} values, data has ${t.data.length}`);
  }
  const w = new MessageWriter();
  for (const dim of t.dims) w.int(1, dim); // TensorProto.dims = 1
  w.int(2, t.data instanceof Float32Array ? DataType.FLOAT : DataType.INT64); // data_type = 2
  w.string(8, t.name); // name = 8
  return w.bytes(9, littleEndianBytes(t.data)); // raw_data = 9
}

function valueInfo(v: ValueInfo): MessageWriter {
  const shape = new MessageWriter();
  for (const dim of v.shape) {
    // TensorShapeProto.dim = 1; Dimension.dim_value = 1, dim_param = 2
    const d = typeof dim === 'number' ? new MessageWriter().int(1, dim) : new MessageWriter().string(2, dim);
    shape.message(1, d);
  }
  // TypeProto.Tensor: elem_type = 1, shape = 2; TypeProto.tensor_type = 1
  const tensorType = new MessageWriter().int(1, v.elemType ?? DataType.FLOAT).message(2, shape);
  const type = new MessageWriter().message(1, tensorType);
  return new MessageWriter().string(1, v.name).message(2, type); // ValueInfoProto.name = 1, type = 2
}

function graph(g: Graph): MessageWriter {
  const w = new MessageWriter();
  for (const n of g.nodes) w.message(1, node(n)); // GraphProto.node = 1
  w.string(2, g.name); // name = 2
  for (const t of g.initializers) w.message(5, tensor(t)); // initializer = 5
  if (g.docString) w.string(10, g.docString); // doc_string = 10
  for (const v of g.inputs) w.message(11, valueInfo(v)); // input = 11
  for (const v of g.outputs) w.message(12, valueInfo(v)); // output = 12
  return w;
}

/** The serialised ModelProto, ready to write as a `.onnx` file. */
export function encodeModel(model: Model): Uint8Array {
  const w = new MessageWriter()
    .int(1, model.irVersion) // ModelProto.ir_version = 1
    .string(2, model.producerName) // producer_name = 2
    .string(3, model.producerVersion); // producer_version = 3
  if (model.docString) w.string(6, model.docString); // doc_string = 6
  w.message(7, graph(model.graph)); // graph = 7
  // opset_import = 8: OperatorSetIdProto { domain = 1 (empty: the default ai.onnx), version = 2 }
  return w.message(8, new MessageWriter().string(1, '').int(2, model.opsetVersion)).finish();
}
