/** Plain-text tables: aligned columns, numbers right-aligned, no borders (pure). */
import { visibleLength } from './style.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const gap = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'right' ? gap + text : text + gap;
}

/** Renders rows under headers, columns two spaces apart, each line prefixed by indent. */
export function renderTable(columns: readonly Column[], rows: readonly string[][], indent = ''): string {
  const widths = columns.map((c, i) =>
    Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    indent +
    columns
      .map((c, i) => pad(cells[i] ?? '', widths[i]!, c.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map((r) => line(r))].join('\n');
}
