// Bounded label values. Every distinct label value is a time series Prometheus keeps, and some values here come
// from outside (a client's operation name, an upstream path a new endpoint adds): the first `max` distinct values
// that match `pattern` are kept, anything else is reported as `other`
// (https://prometheus.io/docs/practices/naming/#labels — "do not use labels to store dimensions with high cardinality").
export class LabelCap {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly pattern: RegExp | null = null,
  ) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max || (this.pattern && !this.pattern.test(value))) return 'other';
    this.seen.add(value);
    return value;
  }
}
