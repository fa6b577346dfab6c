import type { RequestHandler } from 'express';
import { processRequest, type FileUpload, type UploadOptions } from 'graphql-upload-minimal';
import { DefectRagError } from '@defect-rag/runtime';

/**
 * graphql-upload-minimal's Express middleware (`graphqlUploadExpress`), safe against odd multipart
 * bodies. Its parser (busboy) has one `once('error')` listener: a body whose `map` is refused and
 * whose next part is a file with an empty name makes the parser emit a second error, which, with no
 * listener left, was an uncaught exception that stopped the server (a fuzz counterexample). The
 * refusal is already on its way to the client; the parser's later errors are dropped. The connection
 * is closed after a refusal, as the rest of the body may still be unread.
 */
export function uploadMiddleware(options: UploadOptions): RequestHandler {
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      next();
      return;
    }
    const pipe = req.pipe.bind(req);
    req.pipe = ((destination, pipeOptions) =>
      pipe(
        destination.on('error', () => {}),
        pipeOptions,
      )) as typeof req.pipe;
    processRequest(req, res, options).then(
      (body) => {
        req.body = body;
        next();
      },
      (error: unknown) => {
        res.setHeader('connection', 'close');
        next(error);
      },
    );
  };
}

/**
 * The bytes of an uploaded query image, at most `maxBytes` of them (PAYLOAD_TOO_LARGE beyond).
 * The multipart parser stops a file at the same limit and marks its stream truncated.
 */
export async function readUpload(upload: Promise<FileUpload>, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new DefectRagError(
      'PAYLOAD_TOO_LARGE',
      `the uploaded image is larger than ${maxBytes} bytes (DEFECT_RAG_MAX_UPLOAD_BYTES)`,
      { maxBytes },
    );
  let stream: ReturnType<FileUpload['createReadStream']>;
  try {
    stream = (await upload).createReadStream();
  } catch (error) {
    // graphql-upload's errors carry the HTTP status they mean.
    if ((error as { status?: number }).status === 413) throw tooLarge();
    throw new DefectRagError(
      'BAD_INPUT',
      `the uploaded image could not be read: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      stream.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  if ((stream as { truncated?: boolean }).truncated) throw tooLarge();
  if (size === 0) throw new DefectRagError('IMAGE_DECODE_FAILED', 'the uploaded image is empty');
  return Buffer.concat(chunks);
}
