/**
 * @fileoverview Decode an ONNX ModelProto into a plain, exporter-neutral structure.
 *
 * Weights are inlined (raw_data or typed fields), stored as external data next to the model, or absent: a model whose
 * external data file is missing loads "graph-only" (every such initializer has `data: null`) so that shapes can still
 * be compiled. Every failure is one HEC10xx diagnostic line, never a protobuf stack trace.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { HecError } from '../../ir/diagnostics.ts';

const { onnx } = onnxProto;

/** ONNX TensorProto.DataType values hec understands. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

/** Lowest default-domain opset the frontend accepts (the torch exporters emit 17 and 18). */
export const MIN_OPSET = 17;

/**
 * A tensor with known contents. Float tensors keep float32 storage (exactly what the file holds); integer and bool
 * tensors are widened to float64 numbers, which is exact for every shape/index value an exporter emits.
 */
export interface TensorValue {
  dtype: number;
  shape: number[];
  data: Float32Array | Float64Array;
}

export interface OnnxInitializer {
  name: string;
  dtype: number;
  shape: number[];
  /** Null when the external data file is absent (graph-only load). */
  data: Float32Array | Float64Array | null;
}

export type AttrValue = number | number[] | string | TensorValue;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface OnnxValueInfo {
  name: string;
  dtype: number;
  /** Dimension sizes, or the symbolic name (`batch`, `past + 1`) when the exporter left it dynamic. */
  dims: (number | string)[];
}

/** One external-data file a model's tensors point at, by the location the model names, and its bytes' sha256. */
export interface ExternalDataFile {
  location: string;
  /** Null when the file is absent (a graph-only load). */
  sha256: string | null;
}

export interface LoadedOnnx {
  path: string;
  sha256: string;
  /** Every external-data file the model names, in first-use order: plans bind these hashes (runtime/plan.ts). */
  externalData: ExternalDataFile[];
  producer: string;
  opset: number;
  irVersion: number;
  graphOnly: boolean;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: Map<string, OnnxInitializer>;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

function fixNotOnnx(): string {
  return 'pass an .onnx file exported with torch.onnx.export (decoder with past_key_values)';
}

/**
 * Decode the contents of a TensorProto. `external` reads bytes for data_location=EXTERNAL; it returns null when the
 * data file is absent.
 */
function decodeTensor(
  t: InstanceType<typeof onnx.TensorProto>,
  external: (loc: string, offset: number, length: number | null, tensor: string) => Uint8Array | null,
): { dtype: number; shape: number[]; data: Float32Array | Float64Array | null } {
  const dtype = t.dataType;
  const shape = t.dims.map(num);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new HecError('HEC1007', `tensor ${t.name} has dimensions [${shape}]; ONNX tensor dimensions are non-negative integers`, {
      fix: 'the model file is damaged or was written by a broken exporter; re-export it',
    });
  }
  const count = shape.reduce((a, b) => a * b, 1);
  let raw: Uint8Array | null = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
    const loc = kv.get('location');
    if (loc === undefined || loc === null) {
      throw new HecError('HEC1004', `initializer ${t.name} is stored externally but names no location`, {
        fix: 're-export the model, or keep the .onnx.data file beside the .onnx file',
      });
    }
    const off = kv.has('offset') ? Number(kv.get('offset')) : 0;
    const len = kv.has('length') ? Number(kv.get('length')) : null;
    if (!Number.isSafeInteger(off) || off < 0 || (len !== null && (!Number.isSafeInteger(len) || len < 0))) {
      throw new HecError('HEC1004', `initializer ${t.name} has external data offset ${kv.get('offset')} and length ${kv.get('length')}; both must be non-negative integers`, {
        fix: 'the model file is damaged; re-export it',
      });
    }
    raw = external(loc, off, len, t.name ?? '');
    if (raw === null) return { dtype, shape, data: null };
  }
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const bad = (): never => {
    throw new HecError('HEC1004', `initializer ${t.name} holds ${raw?.length ?? 0} bytes, too few for shape [${shape}]`, {
      fix: 'the model or its external data file is truncated; re-export it',
    });
  };
  switch (dtype) {
    case DT.FLOAT: {
      const out = new Float32Array(count);
      if (dv) {
        if (dv.byteLength < count * 4) bad();
        for (let i = 0; i < count; i++) out[i] = dv!.getFloat32(i * 4, true);
      } else out.set(t.floatData.slice(0, count));
      return { dtype, shape, data: out };
    }
    case DT.DOUBLE: {
      const out = new Float64Array(count);
      if (dv) {
        if (dv.byteLength < count * 8) bad();
        for (let i = 0; i < count; i++) out[i] = dv!.getFloat64(i * 8, true);
      } else out.set(t.doubleData.slice(0, count));
      return { dtype: DT.FLOAT, shape, data: Float32Array.from(out) };
    }
    case DT.INT64: {
      const out = new Float64Array(count);
      if (dv) {
        if (dv.byteLength < count * 8) bad();
        for (let i = 0; i < count; i++) out[i] = Number(dv!.getBigInt64(i * 8, true));
      } else for (let i = 0; i < count; i++) out[i] = num(t.int64Data[i]);
      return { dtype, shape, data: out };
    }
    case DT.INT32:
    case DT.INT8:
    case DT.UINT8:
    case DT.BOOL: {
      const width = dtype === DT.INT32 ? 4 : 1;
      const out = new Float64Array(count);
      if (dv) {
        if (dv.byteLength < count * width) bad();
        for (let i = 0; i < count; i++) {
          out[i] = width === 4 ? dv!.getInt32(i * 4, true) : dtype === DT.INT8 ? dv!.getInt8(i) : dv!.getUint8(i);
        }
      } else for (let i = 0; i < count; i++) out[i] = num(t.int32Data[i]);
      return { dtype, shape, data: out };
    }
    case DT.FLOAT16: {
      const out = new Float32Array(count);
      const src = dv ? null : t.int32Data;
      if (dv && dv.byteLength < count * 2) bad();
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv ? dv.getUint16(i * 2, true) : num(src![i]));
      return { dtype: DT.FLOAT, shape, data: out };
    }
    default:
      throw new HecError('HEC1005', `tensor ${t.name} has ONNX data type ${dtype}, which hec does not read`, {
        fix: 'export the model in float32',
      });
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decodeAttr(a: InstanceType<typeof onnx.AttributeProto>, ext: Parameters<typeof decodeTensor>[1]): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f;
    case T.INT:
      return num(a.i);
    case T.STRING:
      return Buffer.from(a.s).toString('utf8');
    case T.INTS:
      return a.ints.map(num);
    case T.FLOATS:
      return a.floats.slice();
    case T.TENSOR: {
      const d = decodeTensor(a.t as InstanceType<typeof onnx.TensorProto>, ext);
      return { dtype: d.dtype, shape: d.shape, data: d.data ?? new Float64Array(0) };
    }
    default:
      // Graph / sparse attributes never occur in a Llama decoder; keep the name so diagnostics can mention it.
      return `<attribute type ${a.type}>`;
  }
}

function valueInfo(v: InstanceType<typeof onnx.ValueInfoProto>): OnnxValueInfo {
  const tt = v.type?.tensorType;
  return {
    name: v.name,
    dtype: tt?.elemType ?? 0,
    dims: (tt?.shape?.dim ?? []).map((d) => {
      if (d.dimParam) return d.dimParam;
      const n = num(d.dimValue);
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new HecError('HEC1007', `graph value ${v.name} has dimension ${n}; ONNX dimensions are non-negative integers or names`, {
          fix: 'the model file is damaged or was written by a broken exporter; re-export it',
        });
      }
      return n;
    }),
  };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Where an external-data location points. The ONNX spec requires a relative path inside the model's folder, so an
 * absolute path or one that climbs out with `..` is refused: a model file must not make hec read arbitrary files.
 */
function externalDataPath(modelPath: string, loc: string, tensor: string): string {
  const norm = normalize(loc.replace(/\\/g, '/'));
  if (loc === '' || isAbsolute(loc) || /^[A-Za-z]:/.test(loc) || norm === '..' || norm.startsWith('../') || loc.includes('\0')) {
    throw new HecError('HEC1006', `initializer ${tensor} names external data at '${loc}', outside the model's folder`, {
      location: { file: modelPath },
      fix: 'ONNX external data must be a relative path inside the model\'s folder; re-export the model with its .data file beside it',
    });
  }
  return resolve(dirname(modelPath), norm);
}

/** The external-data file's bytes, or null when it is absent (graph-only). Anything else that is not a file is an error. */
function readExternalFile(file: string, loc: string, modelPath: string): Uint8Array | null {
  if (!existsSync(file)) return null;
  if (!statSync(file).isFile()) {
    throw new HecError('HEC1006', `the external data location '${loc}' is not a regular file`, { location: { file: modelPath }, fix: `put the model's weight file at ${file}` });
  }
  try {
    return readFileSync(file);
  } catch (e) {
    throw new HecError('HEC1001', `cannot read external data ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file: modelPath }, fix: 'check the file\'s permissions' });
  }
}

/** Decode ONNX bytes. `path` locates external data files (relative to the model) and names the model in errors. */
export function loadOnnxBytes(bytes: Uint8Array, path: string): LoadedOnnx {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    // protobufjs reports reading past the end as "index out of range"; anything else is bytes that are not protobuf.
    const truncated = /index out of range/i.test(why);
    throw new HecError(
      'HEC1002',
      truncated
        ? `the file ends in the middle of an ONNX model (protobuf decoding stopped: ${why}); it is truncated`
        : `the file is not an ONNX model (protobuf decoding failed: ${why})`,
      { location: { file: path }, fix: fixNotOnnx() },
    );
  }
  const g = model.graph as InstanceType<typeof onnx.GraphProto> | null | undefined;
  if (!g || g.node.length === 0 || model.opsetImport.length === 0) {
    throw new HecError('HEC1002', 'the file is not an ONNX model (no graph nodes or opset import found)', {
      location: { file: path },
      fix: fixNotOnnx(),
    });
  }
  const def = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = def ? num(def.version) : 0;
  if (opset < MIN_OPSET) {
    throw new HecError('HEC1003', `${path} uses ONNX opset ${opset}; hec needs opset ${MIN_OPSET} or newer`, {
      location: { file: path },
      fix: `re-export with torch.onnx.export(..., opset_version=${MIN_OPSET}) or newer`,
    });
  }

  let graphOnly = false;
  const files = new Map<string, Uint8Array | null>();
  const externalData: ExternalDataFile[] = [];
  const external = (loc: string, offset: number, length: number | null, tensor: string): Uint8Array | null => {
    const file = externalDataPath(path, loc, tensor);
    if (!files.has(file)) {
      const bytes = readExternalFile(file, loc, path);
      files.set(file, bytes);
      externalData.push({ location: loc, sha256: bytes === null ? null : sha256Hex(bytes) });
    }
    const buf = files.get(file) ?? null;
    if (buf === null) {
      graphOnly = true;
      return null;
    }
    const end = length === null ? buf.length : offset + length;
    if (end > buf.length) {
      throw new HecError('HEC1004', `external data for ${tensor} ends at byte ${end} but ${loc} has ${buf.length} bytes`, {
        location: { file: path },
        fix: `the external data file ${loc} is truncated or belongs to another export; re-export the model`,
      });
    }
    return buf.subarray(offset, end);
  };

  const initializers = new Map<string, OnnxInitializer>();
  for (const t of g.initializer as InstanceType<typeof onnx.TensorProto>[]) {
    const d = decodeTensor(t, external);
    initializers.set(t.name, { name: t.name, ...d });
  }
  const nodes: OnnxNode[] = (g.node as InstanceType<typeof onnx.NodeProto>[]).map((n, i) => {
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute as InstanceType<typeof onnx.AttributeProto>[]) attrs[a.name] = decodeAttr(a as InstanceType<typeof onnx.AttributeProto>, external);
    return {
      name: n.name || `${n.opType}_${i}`,
      opType: n.opType,
      domain: n.domain ?? '',
      inputs: n.input.slice(),
      outputs: n.output.slice(),
      attrs,
    };
  });
  return {
    path,
    sha256: sha256Hex(bytes),
    externalData,
    producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    opset,
    irVersion: num(model.irVersion),
    graphOnly,
    nodes,
    inputs: (g.input as InstanceType<typeof onnx.ValueInfoProto>[]).filter((v) => !initializers.has(v.name)).map(valueInfo),
    outputs: (g.output as InstanceType<typeof onnx.ValueInfoProto>[]).map(valueInfo),
    initializers,
  };
}

/** The bytes of an ONNX file, or HEC1001 saying why not (missing, a directory, unreadable). */
export function readOnnxFile(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) {
      throw new HecError('HEC1001', `${path} is a directory, not an ONNX model file`, { location: { file: path }, fix: 'pass the .onnx file itself' });
    }
    return readFileSync(path);
  } catch (e) {
    if (e instanceof HecError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new HecError('HEC1001', `cannot read ${path} (${code})`, {
      location: { file: path },
      fix: 'check the path to the .onnx model',
    });
  }
}

/** Read and decode an ONNX file (see loadOnnxBytes). */
export function loadOnnx(path: string): LoadedOnnx {
  return loadOnnxBytes(readOnnxFile(path), path);
}
