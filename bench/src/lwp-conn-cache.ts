/** One cached connection, as LWP::ConnCache keeps it: `[$conn, $type, $key, time]`. */
export type LwpRecord<Conn> = [conn: Conn, type: string, key: string, time: number];

/**
 * A literal port of Perl's LWP::ConnCache algorithm (the baseline our
 * ConnCache replaces), kept deliberately naive: one array of records in
 * deposit order. `withdraw` scans for the first match and splices it out;
 * `deposit` pushes and then runs `enforceLimits`, which scans the array from
 * the end for each limited type and shifts the oldest records off the front
 * while the total is exceeded. Both are O(entries) per call.
 *
 * Ported from LWP::ConnCache 6.x (`deposit`, `withdraw`, `enforce_limits`,
 * `dropping`); only what the benchmark drives is here. `dropping` hands the
 * record to `dispose`, where Perl would let the socket's refcount drop.
 */
export class LwpConnCache<Conn> {
  readonly #conns: LwpRecord<Conn>[] = [];
  /** `cc_limit`: absent until a per-type capacity is set, as in Perl. */
  #limit: Map<string, number> | undefined;
  /** `cc_limit_total`; `null` is Perl's `undef` (no limit). */
  readonly #limitTotal: number | null;
  readonly #dispose: (conn: Conn, reason: string) => void;

  constructor(totalCapacity: number | null, dispose: (conn: Conn, reason: string) => void) {
    this.#limitTotal = totalCapacity;
    this.#dispose = dispose;
  }

  get size(): number {
    return this.#conns.length;
  }

  capacity(type: string, n: number): void {
    (this.#limit ??= new Map()).set(type, n);
    this.enforceLimits(type);
  }

  deposit(type: string, key: string, conn: Conn): void {
    this.#conns.push([conn, type, key, Math.floor(Date.now() / 1000)]);
    this.enforceLimits(type);
  }

  withdraw(type: string, key: string): Conn | undefined {
    const conns = this.#conns;
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i] as LwpRecord<Conn>;
      if (!(c[1] === type && c[2] === key)) continue;
      conns.splice(i, 1);
      return c[0];
    }
    return undefined;
  }

  getTypes(): string[] {
    const seen = new Set<string>();
    for (const c of this.#conns) seen.add(c[1]);
    return [...seen];
  }

  enforceLimits(type?: string): void {
    const conns = this.#conns;
    const types = type ? [type] : this.getTypes();
    for (const t of types) {
      if (this.#limit === undefined) continue;
      let limit = this.#limit.get(t);
      if (limit === undefined) continue;
      for (let i = conns.length - 1; i >= 0; i--) {
        if ((conns[i] as LwpRecord<Conn>)[1] !== t) continue;
        if (--limit < 0) {
          this.dropping(conns.splice(i, 1)[0] as LwpRecord<Conn>, `${t} capacity exceeded`);
        }
      }
    }
    const total = this.#limitTotal;
    if (total !== null) {
      while (conns.length > total) {
        this.dropping(conns.shift() as LwpRecord<Conn>, 'Total capacity exceeded');
      }
    }
  }

  dropping(record: LwpRecord<Conn>, reason: string): void {
    this.#dispose(record[0], reason);
  }
}
