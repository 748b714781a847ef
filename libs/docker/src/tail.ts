/** Keeps the last `limit` characters of a growing text (a log tail), counting what was dropped. */
export class TailBuffer {
  private text = '';
  /** Characters dropped from the front. */
  dropped = 0;
  constructor(readonly limit: number) {}

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.trim();
  }

  private trim(): void {
    if (this.text.length > this.limit) {
      this.dropped += this.text.length - this.limit;
      this.text = this.text.slice(this.text.length - this.limit);
    }
  }

  toString(): string {
    this.trim();
    return this.dropped > 0 ? `[… ${this.dropped} chars dropped]\n${this.text}` : this.text;
  }
}

/** The last `limit` characters of `text`. */
export function tailOf(text: string, limit: number): string {
  return text.length <= limit ? text : `[… ${text.length - limit} chars dropped]\n${text.slice(text.length - limit)}`;
}
