// The life of a settings form: busy while it saves, then the line under it — what went wrong,
// or what was done. <FormStatus error={form.error} ok={form.ok} /> shows that line.
import { describeError } from "./errors";

export class FormRun {
  busy = $state(false);
  error = $state<string | null>(null);
  ok = $state<string | null>(null);

  /** A problem found before saving (bad input, or loading the form failed). */
  fail(message: string): void {
    this.error = message;
    this.ok = null;
  }

  /** Runs `save`; the text it resolves to (if any) becomes the success line. */
  async run(save: () => Promise<string | null | void>): Promise<void> {
    this.busy = true;
    this.error = null;
    this.ok = null;
    try {
      this.ok = (await save()) ?? null;
    } catch (e) {
      this.error = describeError(e);
    } finally {
      this.busy = false;
    }
  }
}
