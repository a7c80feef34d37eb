// Terminal styling: colours only when a person is watching (stdout is a TTY
// and NO_COLOR is not set), so CI logs and the test see plain text.
const useColor = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;

function paint(code: string): (text: string) => string {
  return (text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
}

export const bold = paint('1');
export const dim = paint('2');
export const green = paint('32');
export const red = paint('31');
export const cyan = paint('36');

export const TICK = '✔';
export const CROSS = '✘';

export function mark(ok: boolean): string {
  return ok ? green(TICK) : red(CROSS);
}
