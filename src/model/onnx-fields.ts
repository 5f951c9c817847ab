/**
 * A walker over ONNX's protobuf bytes: the fields of one message with where each lies, without decoding
 * the rest (a model's weights can be hundreds of MB). Used to rewrite a model (onnx-pack.ts) and to read
 * its inputs (onnx-inputs.ts).
 */
import protobuf from 'protobufjs';

export interface Field {
  no: number;
  /** the whole field: tag, length and payload */
  start: number;
  end: number;
  /** the payload of a length-delimited field (else the value bytes) */
  body: [number, number];
  /** a varint field's value, read as int64 (ONNX's integer fields are int64; a negative one is ten bytes) */
  varint?: number;
}

/** The top-level fields of the message in buf[from, to), with where each lies (read with protobufjs's Reader). */
export function fields(buf: Uint8Array, from = 0, to = buf.length): Field[] {
  const out: Field[] = [];
  const r = protobuf.Reader.create(buf);
  r.pos = from;
  r.len = to;
  while (r.pos < to) {
    const start = r.pos;
    const tag = r.uint32();
    const no = tag >>> 3;
    const at = r.pos;
    switch (tag & 7) {
      case 0: {
        // int64: any varint up to 10 bytes (uint32 would misread an int64 field such as model_version), a negative one as such
        const v = r.int64();
        out.push({ no, start, end: r.pos, body: [at, r.pos], varint: protobuf.util.LongBits.from(v).toNumber(false) });
        break;
      }
      case 2: {
        const len = r.uint32();
        const body: [number, number] = [r.pos, r.pos + len];
        r.skip(len);
        out.push({ no, start, end: r.pos, body });
        break;
      }
      case 1:
      case 5:
        r.skip((tag & 7) === 1 ? 8 : 4);
        out.push({ no, start, end: r.pos, body: [at, r.pos] });
        break;
      default:
        throw new Error(`unsupported wire type ${tag & 7}`);
    }
  }
  return out;
}

/** A length-delimited field's payload as UTF-8 text (ONNX's names and strings). */
export const text = (buf: Uint8Array, f: Field) => Buffer.from(buf.buffer, buf.byteOffset + f.body[0], f.body[1] - f.body[0]).toString('utf8');
/** The fields of a length-delimited field's payload: an embedded message. */
export const sub = (buf: Uint8Array, f: Field) => fields(buf, f.body[0], f.body[1]);
