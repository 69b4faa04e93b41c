/**
 * Still frames of a video blob, for people to look at.
 *
 * Contract: `grab(video, seconds, { width })` returns one JPEG image per requested time (in that
 * order), each the frame shown at that time, scaled to `width` pixels wide (height keeps the aspect
 * ratio). A missing blob is a NotFoundError; a time with no frame (past the end) a PermanentError.
 */
export interface FrameGrabber {
  grab(
    video: { readonly container: string; readonly name: string },
    seconds: readonly number[],
    options: { readonly width: number },
  ): Promise<Buffer[]>;
}
