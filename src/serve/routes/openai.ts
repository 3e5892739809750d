// OpenAI-shaped image endpoints, so that OpenAI clients (the `openai` npm package among them) work unchanged:
// POST /v1/images/generations (JSON; `stream: true` sends partial images as server-sent events),
// POST /v1/images/edits and /v1/images/variations (multipart), GET /v1/models. The model draws 64x64;
// larger square sizes are nearest-neighbour upscales (the `tessera.size` field of the answer says so), other
// sizes are refused. An edit's optional mask (transparent pixels = the region) keeps everything outside it.
// `url` answers point at GET /v1/images/{hash}.png, served from the store.
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { instructionForModel, parseImage, promptForModel } from '../../data/index.js';
import { DEFAULT_GUIDANCE } from '../../infer/index.js';
import { errorBody, errorInfo, formBody, formValues, jsonBody, parseWith, seedSchema } from '../http.js';
import {
  type ModelImage,
  parseSize,
  RequestError,
  type ServedSize,
  servedPng,
  uploadedImage,
  uploadedMask,
} from '../images.js';
import type { Drawn, Service } from '../service.js';

const common = (maxN: number, maxText: number) => ({
  prompt: z.string().trim().min(1, 'must say what to draw').max(maxText),
  model: z.string().optional(),
  n: z.number().int().min(1).max(maxN).default(1),
  size: z.string().optional(),
  response_format: z.enum(['b64_json', 'url']).default('b64_json'),
  seed: seedSchema.optional(),
  temperature: z.number().min(0).max(2).optional(),
  guidance: z.number().min(0).max(20).default(DEFAULT_GUIDANCE),
  user: z.string().max(256).optional(),
  // accepted for compatibility, with the only values this model has
  quality: z.enum(['auto', 'standard', 'low', 'medium', 'high']).optional(),
  output_format: z.literal('png').optional(),
  // tessera: send the prompt as written instead of in the trained phrasing
  raw_prompt: z.boolean().default(false),
});

function generationSchema(maxN: number, maxText: number) {
  return z.strictObject({
    ...common(maxN, maxText),
    stream: z.boolean().default(false),
    partial_images: z.number().int().min(0).max(7).default(2),
    top_k: z.number().int().min(0).default(0),
    top_p: z.number().gt(0).max(1).default(1),
    background: z.enum(['auto', 'opaque']).optional(),
    moderation: z.enum(['auto', 'low']).optional(),
    style: z.string().optional(),
  });
}

function editSchema(maxN: number, maxText: number) {
  return z.strictObject({
    ...common(maxN, maxText),
    image_guidance: z.number().min(0).max(20).default(1),
    stream: z.boolean().default(false),
    partial_images: z.number().int().min(0).max(7).default(0),
  });
}

const variationSchema = (maxN: number) =>
  z.strictObject({
    model: z.string().optional(),
    n: z.number().int().min(1).max(maxN).default(1),
    size: z.string().optional(),
    response_format: z.enum(['b64_json', 'url']).default('b64_json'),
    seed: seedSchema.optional(),
    user: z.string().max(256).optional(),
  });

const randomSeed = () => Math.floor(Math.random() * 2 ** 31);

function answer(c: Context, d: Drawn, size: ServedSize, format: 'b64_json' | 'url', model: string, extra = {}) {
  const base = new URL(c.req.url).origin;
  return c.json(
    {
      created: Math.floor(Date.now() / 1000),
      data: d.images.map((img) =>
        format === 'url'
          ? { url: `${base}/v1/images/${img.hash}.png${size.scale > 1 ? `?scale=${size.scale}` : ''}` }
          : { b64_json: servedPng(img.png, size.scale, 'drawn image').toString('base64') },
      ),
      tessera: {
        request_id: d.requestId,
        model,
        size: {
          asked: size.size,
          drawn: `${d.images[0].rgb.width}x${d.images[0].rgb.height}`,
          upscaled: size.scale > 1 ? 'nearest' : null,
        },
        ms: Math.round(d.ms),
        ...extra,
      },
    },
    200,
    { 'x-request-id': d.requestId },
  );
}

/** Draws with progress as server-sent events: partial images, then one completed event per variant. */
/** raw_prompt: the user's text, sent as written. */
const asWritten = (text: string) => ({ text, canonicalized: false, notices: [] as string[] });

/** What the answer says about the prompt: as asked, as sent to the model, and the reader's notices. */
function promptInfo(asked: string, sent: { text: string; canonicalized: boolean; notices: string[] }) {
  return { asked, sent: sent.text, canonicalized: sent.canonicalized, notices: sent.notices };
}

/** OpenAI's quality, as drawings the model reads back: "medium" and "high" draw 4 and 16 candidates and
 *  return the n it reads most as the prompt (infer/reading.ts); the others draw just the n asked for. */
export const QUALITY_CANDIDATES = { auto: 1, standard: 1, low: 1, medium: 4, high: 16 } as const;

function streamed(
  c: Context,
  service: Service,
  req: Parameters<Service['draw']>[0],
  size: ServedSize,
  kind: 'image_generation' | 'image_edit',
  prompt: ReturnType<typeof promptInfo>,
) {
  return streamSSE(c, async (sse) => {
    const created_at = Math.floor(Date.now() / 1000);
    const meta = { created_at, size: size.size, quality: 'auto', background: 'opaque', output_format: 'png' };
    const partialIndex = new Map<number, number>();
    const sent: Promise<void>[] = [];
    try {
      const d = await service.draw(req, (p, partial) => {
        if (!partial) return;
        const k = partialIndex.get(partial.index) ?? 0;
        partialIndex.set(partial.index, k + 1);
        const b64 = servedPng(partial.png, size.scale, 'partial image').toString('base64');
        sent.push(
          sse.writeSSE({
            event: `${kind}.partial_image`,
            data: JSON.stringify({
              type: `${kind}.partial_image`,
              b64_json: b64,
              partial_image_index: k,
              index: partial.index,
              progress: { done: p.done, total: p.total },
              ...meta,
            }),
          }),
        );
      });
      await Promise.all(sent);
      for (const [index, img] of d.images.entries())
        await sse.writeSSE({
          event: `${kind}.completed`,
          data: JSON.stringify({
            type: `${kind}.completed`,
            b64_json: servedPng(img.png, size.scale, 'drawn image').toString('base64'),
            index,
            request_id: d.requestId,
            prompt,
            ...meta,
          }),
        });
    } catch (e) {
      await sse.writeSSE({
        event: 'error',
        data: JSON.stringify({ type: 'error', ...(errorBody(errorInfo(e), false) as object) }),
      });
    }
  });
}

export function openaiRoutes(app: Hono, service: Service): void {
  const { maxN, maxTextChars } = service.limits;
  const genSchema = generationSchema(maxN, maxTextChars);
  const edSchema = editSchema(maxN, maxTextChars);
  const varSchema = variationSchema(maxN);

  app.get('/v1/models', (c) =>
    c.json({
      object: 'list',
      data: service.models.map((m) => ({
        id: m.id,
        object: 'model',
        created: 0,
        owned_by: 'tessera',
        tessera: { image_size: m.imageSize, grid: m.grid, parameters: m.parameters, context: m.blockSize },
      })),
    }),
  );

  app.post('/v1/images/generations', async (c) => {
    const b = await jsonBody(c, genSchema);
    const m = service.model(b.model);
    const size = parseSize(b.size, m.imageSize);
    const sent = b.raw_prompt ? asWritten(b.prompt) : promptForModel(b.prompt);
    const prompt = promptInfo(b.prompt, sent);
    const req = {
      endpoint: 'images.generations',
      model: m.id,
      prompt: b.prompt,
      sent: sent.text,
      n: b.n,
      seed: b.seed ?? randomSeed(),
      temperature: b.temperature ?? 0.7,
      guidance: b.guidance,
      topK: b.top_k,
      topP: b.top_p,
      candidates: Math.max(b.n, QUALITY_CANDIDATES[b.quality ?? 'auto']),
      partials: b.stream ? b.partial_images : 0,
      params: { size: size.size, response_format: b.response_format, prompt, quality: b.quality ?? 'auto' },
    };
    if (b.stream) return streamed(c, service, req, size, 'image_generation', prompt);
    return answer(c, await service.draw(req), size, b.response_format, m.id, { prompt });
  });

  app.post('/v1/images/edits', async (c) => {
    const form = await formBody(c);
    const b = parseWith(
      edSchema,
      formValues(form.fields, {
        numbers: ['n', 'seed', 'temperature', 'guidance', 'image_guidance', 'partial_images'],
        booleans: ['stream'],
      }),
    );
    const m = service.model(b.model);
    const size = parseSize(b.size, m.imageSize);
    const image = requireImage(form.files, m.imageSize);
    const mask = form.files.mask ? uploadedMask(form.files.mask, image, m.imageSize) : undefined;
    const sent = b.raw_prompt ? asWritten(b.prompt) : instructionForModel(b.prompt, parseImage(image.image));
    const prompt = promptInfo(b.prompt, sent);
    const req = {
      endpoint: 'images.edits',
      model: m.id,
      prompt: b.prompt,
      sent: sent.text,
      n: b.n,
      seed: b.seed ?? randomSeed(),
      temperature: b.temperature ?? 0,
      guidance: b.guidance,
      image,
      mask,
      imageGuidance: b.image_guidance,
      partials: b.stream ? b.partial_images : 0,
      params: { size: size.size, response_format: b.response_format, input: image.note, prompt },
    };
    if (b.stream) return streamed(c, service, req, size, 'image_edit', prompt);
    return answer(c, await service.draw(req), size, b.response_format, m.id, {
      prompt,
      input: image.note,
      masked: mask !== undefined,
    });
  });

  app.post('/v1/images/variations', async (c) => {
    const form = await formBody(c);
    const b = parseWith(varSchema, formValues(form.fields, { numbers: ['n', 'seed'] }));
    const m = service.model(b.model);
    const size = parseSize(b.size, m.imageSize);
    const image = requireImage(form.files, m.imageSize);
    // A variation is what the model sees in the image, drawn again: its caption, then n draws of it.
    const said = await service.answer(m.id, emptySession(), { image, text: 'describe the image.', mode: 'text' });
    const caption = said
      .flatMap((o) => (o.kind === 'text' ? [o.text] : []))
      .join(' ')
      .trim();
    if (!caption)
      throw new RequestError(
        'image: the model found nothing to describe in the image, so it has nothing to vary',
        'image',
        422,
      );
    const d = await service.draw({
      endpoint: 'images.variations',
      model: m.id,
      prompt: caption,
      n: b.n,
      seed: b.seed ?? randomSeed(),
      temperature: 0.7,
      guidance: DEFAULT_GUIDANCE,
      params: { size: size.size, response_format: b.response_format, caption },
    });
    return answer(c, d, size, b.response_format, m.id, { caption, input: image.note });
  });
}

function requireImage(files: Record<string, Uint8Array>, size: number): ModelImage {
  if (!files.image) throw new RequestError('image: a PNG file field named "image" is required', 'image');
  return uploadedImage(files.image, size, 'image');
}

export function emptySession() {
  return { format: 'tessera-session' as const, version: 1, id: 'oneoff', seed: 0, head: null, turns: [] };
}
