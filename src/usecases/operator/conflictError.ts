import { PreconditionFailedError } from '../../core/errors.js';

/** A request the job's state refuses (cancel an ended job, retry one that did not fail): 409, with the reason as given. */
export class JobStateConflictError extends PreconditionFailedError {
  constructor(reason: string) {
    super(reason);
    this.message = reason;
  }
}
