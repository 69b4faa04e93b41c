import { join } from 'node:path';
import { fileJobLogs } from '../../adapters/local/fileJobLogs.js';
import { BUILTIN_TOON } from '../../adapters/models/registryStyles.js';
import type { ApiPorts } from '../../hosting/api/apiTypes.js';
import { createFrameGrabber } from '../../video/frameGrabber.js';
import type { LocalContext } from './localContext.js';

/** The jobs API over the embedded runtime's adapters: logs from `$TESSERA_HOME/logs`, thumbnails with the local ffmpeg. */
export function localApiPorts(ctx: LocalContext): ApiPorts {
  return {
    jobs: ctx.deps,
    queues: { jobs: ctx.queue },
    registry: ctx.registry,
    builtinModels: [BUILTIN_TOON],
    events: ctx.aggregate.events,
    logs: fileJobLogs(join(ctx.config.home, 'logs')),
    frames: createFrameGrabber(ctx.blobs, ctx.config.video.containers),
    scratchDir: join(ctx.config.home, 'uploads'),
    maxUploadBytes: ctx.config.video.maxBytes,
  };
}
