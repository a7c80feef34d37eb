import { mark } from './style.js';

interface Item {
  readonly label: string;
  readonly ok: boolean;
  readonly detail: string | undefined;
}

/**
 * What the demo claims to show, each claim a real assertion on stats or
 * results. The demo exits non-zero if any of them failed.
 */
export class Checklist {
  readonly #items: Item[] = [];

  /** Records a claim and returns whether it held. */
  check(label: string, ok: boolean, detail?: string): boolean {
    this.#items.push({ label, ok, detail });
    return ok;
  }

  get failures(): number {
    return this.#items.filter((item) => !item.ok).length;
  }

  get size(): number {
    return this.#items.length;
  }

  lines(): string[] {
    return this.#items.map(({ label, ok, detail }) => `${mark(ok)} ${label}${detail === undefined ? '' : ` (${detail})`}`);
  }
}
