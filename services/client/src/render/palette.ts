/**
 * Class colours: the 20-colour palette Ultralytics draws with, indexed by class id, so that a picture
 * annotated here reads like one annotated by the YOLO tools people know.
 */
export const PALETTE: readonly string[] = [
  '#042AFF',
  '#0BDBEB',
  '#F3F3F3',
  '#00DFB7',
  '#111F68',
  '#FF6FDD',
  '#FF444F',
  '#CCED00',
  '#00F344',
  '#BD00FF',
  '#00B4FF',
  '#DD00BA',
  '#00FFFF',
  '#26C000',
  '#01FFB3',
  '#7D24FF',
  '#7B0068',
  '#FF1B6C',
  '#FC6D2F',
  '#A2FF0B',
];

export function classColor(classId: number): string {
  const index = Number.isInteger(classId) && classId >= 0 ? classId % PALETTE.length : 0;
  return PALETTE[index]!;
}

/** Black or white, whichever reads better on the given #RRGGBB background (relative luminance). */
export function textColorOn(background: string): string {
  const rgb = [1, 3, 5].map((i) => Number.parseInt(background.slice(i, i + 2), 16) / 255);
  const [r, g, b] = rgb.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance > 0.4 ? '#000000' : '#FFFFFF';
}
