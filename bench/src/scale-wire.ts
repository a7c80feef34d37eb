/** The measuring client's peer id in the scale suite. */
export const SCALE_MEASURER_ID = 'm';

/** Peer ids: short, so every socket path stays far under the 104-byte budget. */
export function scalePeerId(i: number): string {
  return `p${i}`;
}
