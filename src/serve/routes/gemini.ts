// The Gemini-shaped endpoint, so that Gemini clients work too: POST /v1beta/models/{model}:generateContent
// with `contents` (user and model turns; text and inlineData PNG parts) and `generationConfig`
// (responseModalities, seed, temperature, candidateCount 1). The contents become a session in the library's
// JSON form (the model's earlier replies as its outputs) and the last user content is the new turn, so
// understanding (ask about an image), generation and editing all go through Session.addTurn.
import type { Hono } from 'hono';
import { z } from 'zod';
import { encodePng } from '../../data/index.js';
import type { SessionJson } from '../../infer/index.js';
import { jsonBody, seedSchema } from '../http.js';
import { type ModelImage, RequestError, uploadedImage } from '../images.js';
import type { Service } from '../service.js';

const part = z.union([
  z.strictObject({ text: z.string() }),
  z.strictObject({
    inlineData: z.strictObject({ mimeType: z.string(), data: z.string().min(1, 'must be base64 image bytes') }),
  }),
]);

const schema = (maxTurns: number) =>
  z.strictObject({
    contents: z
      .array(z.strictObject({ role: z.enum(['user', 'model']).default('user'), parts: z.array(part).min(1) }))
      .min(1)
      .max(maxTurns),
    generationConfig: z
      .strictObject({
        responseModalities: z
          .array(z.enum(['TEXT', 'IMAGE']))
          .min(1)
          .optional(),
        seed: seedSchema.optional(),
        temperature: z.number().min(0).max(2).optional(),
        candidateCount: z.literal(1).optional(),
        maxOutputTokens: z.number().int().min(1).optional(),
      })
      .optional(),
    safetySettings: z.array(z.unknown()).optional(),
    systemInstruction: z.unknown().optional(),
  });

interface Content {
  text?: string;
  image?: ModelImage;
}

function readParts(parts: z.infer<typeof part>[], at: string, size: number): Content {
  const texts: string[] = [];
  let image: ModelImage | undefined;
  parts.forEach((p, i) => {
    if ('text' in p) texts.push(p.text);
    else {
      const field = `${at}.parts[${i}].inlineData`;
      if (p.inlineData.mimeType !== 'image/png')
        throw new RequestError(
          `${field}.mimeType: only image/png is read, got "${p.inlineData.mimeType}"`,
          `${field}.mimeType`,
        );
      if (image) throw new RequestError(`${field}: one image per turn (this turn has more)`, field);
      image = uploadedImage(Buffer.from(p.inlineData.data, 'base64'), size, `${field}.data`);
    }
  });
  const text = texts.join(' ').trim();
  return { text: text || undefined, image };
}

export function geminiRoutes(app: Hono, service: Service): void {
  const body = schema(64);
  app.post('/v1beta/models/:call{[^/]+:generateContent}', async (c) => {
    const [modelId] = c.req.param('call').split(':');
    const m = service.model(modelId, 'model');
    const b = await jsonBody(c, body);
    const contents = b.contents.map((x, k) => ({ role: x.role, ...readParts(x.parts, `contents[${k}]`, m.imageSize) }));
    const last = contents[contents.length - 1];
    if (last.role !== 'user')
      throw new RequestError(
        `contents[${contents.length - 1}].role: the last content must be the user's`,
        `contents[${contents.length - 1}].role`,
      );
    if (!last.text && !last.image)
      throw new RequestError(
        `contents[${contents.length - 1}].parts: the turn needs text or an image`,
        `contents[${contents.length - 1}].parts`,
      );
    const mods = b.generationConfig?.responseModalities;
    const mode =
      !mods || (mods.includes('TEXT') && mods.includes('IMAGE')) ? 'auto' : mods.includes('IMAGE') ? 'image' : 'text';
    const seed = b.generationConfig?.seed ?? 0;
    const output = await service.answer(m.id, history(contents.slice(0, -1), seed), {
      text: last.text,
      image: last.image,
      mode,
      temperature: b.generationConfig?.temperature ?? 0,
    });
    const parts = output.map((o) =>
      o.kind === 'text'
        ? { text: o.text }
        : { inlineData: { mimeType: 'image/png', data: encodePng(o.rgb).toString('base64') } },
    );
    return c.json({
      candidates: [
        { content: { role: 'model', parts: parts.length ? parts : [{ text: '' }] }, finishReason: 'STOP', index: 0 },
      ],
      modelVersion: m.id,
    });
  });
}

/** The earlier contents as a session: each user content a turn, the model content after it its output. */
function history(contents: ({ role: 'user' | 'model' } & Content)[], seed: number): SessionJson {
  const turns: SessionJson['turns'] = [];
  const png = (img: ModelImage) => encodePng(img.image).toString('base64');
  contents.forEach((x, k) => {
    if (x.role === 'user') {
      turns.push({
        id: turns.length + 1,
        parent: turns.length || null,
        input: { text: x.text, image: x.image ? png(x.image) : undefined },
        output: [],
      });
      return;
    }
    const t = turns[turns.length - 1];
    if (!t)
      throw new RequestError(`contents[${k}].role: a model content must follow a user content`, `contents[${k}].role`);
    if (x.text) t.output.push({ kind: 'text', text: x.text });
    if (x.image) t.output.push({ kind: 'image', image: png(x.image) });
  });
  return { format: 'tessera-session', version: 1, id: 'gemini', seed, head: turns.length || null, turns };
}
