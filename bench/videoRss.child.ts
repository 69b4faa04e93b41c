/**
 * Child process of the video bench: styles frames [0, FRAMES) of a video with the built-in toon
 * model through the real decode → model → encode pipeline, as one shard, and prints its peak RSS.
 * Usage: node --import tsx bench/videoRss.child.ts INPUT FRAMES OUTPUT
 */
import { fitGeometry } from '../src/core/framePlan.js';
import { inspectModel } from '../src/onnx/modelInfo.js';
import { decodeArgs, encodeArgs } from '../src/video/ffmpeg/args.js';
import { runFramePipeline } from '../src/video/framePipeline.js';
import { probeVideo } from '../src/video/probe.js';
import { createFrameStylizer } from '../src/video/style/frameStylizer.js';
import { styleSpecOf } from '../src/video/style/styleSpec.js';
import { buildToonModel } from '../src/video/style/toonModel.js';

const [input = '', framesText = '0', output = ''] = process.argv.slice(2);
const probe = await probeVideo(input, input);
const frames = Math.min(Number(framesText), probe.video.frameCount);
const bytes = buildToonModel();
const spec = styleSpecOf({ ...inspectModel(bytes), name: 'toon' }, { defaultMaxBatch: 2 });
const stylizer = await createFrameStylizer(bytes, spec, { executionProvider: 'cpu', label: 'toon' });
const { width, height } = probe.video;
const fit = fitGeometry(width, height, undefined, 'stretch');
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
  frameBytes: width * height * 3,
  frames,
  batch: 2,
  transform: (f, n) => stylizer.stylize(f, n, width, height),
  label: 'rss',
});
await stylizer.dispose();
console.log(JSON.stringify({ frames, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
