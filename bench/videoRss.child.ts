/**
 * Child process of the video bench: styles frames [0, FRAMES) of a video with a real style model
 * (MODEL, its colour order from its metadata or COLOR) through the real decode → model → encode
 * pipeline, as one shard, and prints its peak RSS.
 * Usage: node --import tsx bench/videoRss.child.ts INPUT FRAMES OUTPUT MODEL [COLOR]
 */
import { fitGeometry } from '../src/core/framePlan.js';
import { inspectModel } from '../src/onnx/modelInfo.js';
import { decodeArgs, encodeArgs } from '../src/video/ffmpeg/args.js';
import { runFramePipeline } from '../src/video/framePipeline.js';
import { probeVideo } from '../src/video/probe.js';
import { createFrameStylizer } from '../src/video/style/frameStylizer.js';
import { styleSpecOf } from '../src/video/style/styleSpec.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [input = '', framesText = '0', output = '', modelPath = '', color] = process.argv.slice(2);
const probe = await probeVideo(input, input);
const frames = Math.min(Number(framesText), probe.video.frameCount);
const bytes = readFileSync(modelPath);
const info = inspectModel(bytes);
const name = path.basename(modelPath);
const metadata = color ? { ...info.metadata, color } : info.metadata;
const spec = styleSpecOf({ ...info, metadata, name }, { defaultMaxBatch: 2 });
const stylizer = await createFrameStylizer(bytes, spec, { executionProvider: 'cpu', label: name });
const { width, height } = probe.video;
const fit = fitGeometry(width, height, spec.fixedSize, 'stretch');
await runFramePipeline({
  decodeArgs: decodeArgs(input, {
    streamIndex: probe.video.index,
    seekSeconds: undefined,
    count: frames,
    width,
    height,
    fit,
  }),
  encodeArgs: encodeArgs(output, {
    width,
    height,
    fit,
    rate: probe.video.frameRate,
    settings: { crf: 18, preset: 'veryfast' },
  }),
  frameBytes: fit.modelWidth * fit.modelHeight * 3,
  frames,
  batch: 2,
  transform: (f, n) => stylizer.stylize(f, n, fit.modelWidth, fit.modelHeight),
  label: 'rss',
});
await stylizer.dispose();
console.log(JSON.stringify({ frames, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
