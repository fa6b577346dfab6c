/**
 * Builds the combined layout that MetaCLIP's own repository publishes (one `onnx/model.onnx` with
 * both towers, weights in an external `onnx/model.onnx_data`) out of the tiny model's two graphs,
 * by editing the ONNX protobuf directly: a few wire-format helpers, no protobuf library.
 * The generator prefixes every name with its tower, so the two graphs merge without clashes.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface Field {
  number: number;
  /** The whole field as encoded (tag included), to copy it unchanged. */
  encoded: Buffer;
  /** The payload of a length-delimited field. */
  payload?: Buffer;
  varint?: number;
}

// Field numbers from onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 };
const TENSOR = { rawData: 9, externalData: 13, dataLocation: 14 };
const EXTERNAL = 1;

function readVarint(buffer: Buffer, offset: number): [value: number, next: number] {
  let value = 0;
  let shift = 1;
  for (let i = offset; ; i++) {
    const byte = buffer[i]!;
    value += (byte & 0x7f) * shift;
    shift *= 128;
    if (byte < 0x80) return [value, i + 1];
  }
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

function parse(message: Buffer): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  while (offset < message.length) {
    const start = offset;
    const [tag, afterTag] = readVarint(message, offset);
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === 0) {
      const [value, next] = readVarint(message, afterTag);
      fields.push({ number, encoded: message.subarray(start, next), varint: value });
      offset = next;
    } else if (wireType === 2) {
      const [length, payloadStart] = readVarint(message, afterTag);
      offset = payloadStart + length;
      fields.push({
        number,
        encoded: message.subarray(start, offset),
        payload: message.subarray(payloadStart, offset),
      });
    } else {
      offset = afterTag + (wireType === 1 ? 8 : 4);
      fields.push({ number, encoded: message.subarray(start, offset) });
    }
  }
  return fields;
}

const bytesField = (number: number, payload: Buffer) =>
  Buffer.concat([varint(number * 8 + 2), varint(payload.length), payload]);
const varintField = (number: number, value: number) => Buffer.concat([varint(number * 8), varint(value)]);
const entry = (key: string, value: string) =>
  bytesField(TENSOR.externalData, Buffer.concat([bytesField(1, Buffer.from(key)), bytesField(2, Buffer.from(value))]));

/** The graph payload of a serialized ModelProto. */
function graphOf(model: Buffer): Buffer {
  return parse(model).find((field) => field.number === MODEL_GRAPH)!.payload!;
}

/** Writes `<modelDir>/onnx/model.onnx` (+ `model.onnx_data`) and copies the folder's JSON files. */
export function writeCombinedModel(splitDir: string, modelDir: string): void {
  mkdirSync(path.join(modelDir, 'onnx'), { recursive: true });
  for (const file of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    copyFileSync(path.join(splitDir, file), path.join(modelDir, file));
  }
  const vision = readFileSync(path.join(splitDir, 'onnx', 'vision_model.onnx'));
  const text = readFileSync(path.join(splitDir, 'onnx', 'text_model.onnx'));

  const data: Buffer[] = [];
  let dataLength = 0;
  const externalize = (tensor: Buffer): Buffer => {
    const fields = parse(tensor);
    const raw = fields.find((field) => field.number === TENSOR.rawData)?.payload;
    // Small tensors stay inline, as onnx's own converter does: shape inference reads them at load.
    if (!raw || raw.length < 1024) return tensor;
    const kept = fields.filter((field) => field.number !== TENSOR.rawData).map((field) => field.encoded);
    const location = [
      entry('location', 'model.onnx_data'),
      entry('offset', String(dataLength)),
      entry('length', String(raw.length)),
    ];
    data.push(raw);
    dataLength += raw.length;
    return Buffer.concat([...kept, ...location, varintField(TENSOR.dataLocation, EXTERNAL)]);
  };

  const graphs = [graphOf(vision), graphOf(text)].map(parse);
  const merged = Buffer.concat([
    // The vision graph keeps its name and everything else; the text graph adds its nodes and I/O.
    ...graphs[0]!.filter((field) => field.number !== GRAPH.initializer).map((field) => field.encoded),
    ...graphs[1]!
      .filter((field) => [GRAPH.node, GRAPH.input, GRAPH.output, GRAPH.valueInfo].includes(field.number))
      .map((field) => field.encoded),
    ...graphs
      .flat()
      .filter((field) => field.number === GRAPH.initializer)
      .map((field) => bytesField(GRAPH.initializer, externalize(field.payload!))),
  ]);
  const model = Buffer.concat([
    ...parse(vision)
      .filter((field) => field.number !== MODEL_GRAPH)
      .map((field) => field.encoded),
    bytesField(MODEL_GRAPH, merged),
  ]);
  writeFileSync(path.join(modelDir, 'onnx', 'model.onnx'), model);
  writeFileSync(path.join(modelDir, 'onnx', 'model.onnx_data'), Buffer.concat(data));
}
