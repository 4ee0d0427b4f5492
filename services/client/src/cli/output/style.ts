/** Terminal styling, decided once: ANSI codes only for a TTY and when NO_COLOR is not set. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const plain: Style = {
  bold: (t) => t,
  dim: (t) => t,
  red: (t) => t,
  green: (t) => t,
  yellow: (t) => t,
};

const ansi: Style = {
  bold: (t) => `\x1b[1m${t}\x1b[22m`,
  dim: (t) => `\x1b[2m${t}\x1b[22m`,
  red: (t) => `\x1b[31m${t}\x1b[39m`,
  green: (t) => `\x1b[32m${t}\x1b[39m`,
  yellow: (t) => `\x1b[33m${t}\x1b[39m`,
};

export function styleFor(stream: NodeJS.WriteStream, env: Record<string, string | undefined>): Style {
  return stream.isTTY && env.NO_COLOR === undefined ? ansi : plain;
}

/** The visible width of a string that may hold ANSI codes. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}
