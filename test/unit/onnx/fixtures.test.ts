import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createState, decodeStep } from '../../../compiler/model-eval.ts';
import { loadLlama } from '../../../compiler/onnx/frontend.ts';
import { FIXTURES, FIXTURE_DIR } from '../../fixtures/models/generate.ts';
import { buildLlamaOnnx } from '../../helpers/onnx-build.ts';
import { ORT_LOGIT_TOL, ortTeacherForced } from '../../helpers/ort.ts';

describe('committed generated fixtures', () => {
  for (const [name, cfg] of Object.entries(FIXTURES)) {
    it(`${name} is up to date, recognised, and matches onnxruntime`, async () => {
      const path = join(FIXTURE_DIR, name);
      const bytes = readFileSync(path);
      expect(Buffer.compare(bytes, Buffer.from(buildLlamaOnnx(cfg).bytes))).toBe(0); // else: run generate.ts
      const m = await loadLlama(path);
      expect(m.config).toMatchObject({ numLayers: cfg.numLayers, numHeads: cfg.numHeads, numKvHeads: cfg.numKvHeads,
        headDim: cfg.headDim, vocabSize: cfg.vocabSize, ropeTheta: cfg.ropeTheta, tiedEmbeddings: cfg.tied });
      const tokens = [3, 1, 4, 1, 5, 9, 2, 6];
      const want = await ortTeacherForced(path, tokens);
      const state = createState(m);
      let maxErr = 0;
      tokens.forEach((t, pos) => {
        const got = decodeStep(m, state, t, pos);
        for (let j = 0; j < got.length; j++) maxErr = Math.max(maxErr, Math.abs(got[j]! - want[pos]![j]!));
      });
      console.log(`${name}: max |logit error| vs onnxruntime = ${maxErr.toExponential(2)}`);
      expect(maxErr).toBeLessThan(ORT_LOGIT_TOL);
    });
  }
});
