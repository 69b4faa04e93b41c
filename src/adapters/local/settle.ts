/** Runs a synchronous step and returns its outcome as a promise: a throw becomes a rejection, never a synchronous throw. */
export function settle<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
