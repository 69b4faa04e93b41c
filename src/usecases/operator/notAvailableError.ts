import { TesseraError } from '../../core/errors.js';

/** What this deployment cannot do (per-job logs live elsewhere, no ffmpeg for thumbnails): 501, with where to look instead. */
export class NotAvailableError extends TesseraError {
  constructor(reason: string) {
    super('NotAvailable', reason);
  }
}
