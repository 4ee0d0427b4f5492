/** Renders an AnnotationLayout as one SVG overlay (pure string building). */
import type { AnnotationLayout, BoxMark, LabelMark } from './layout.js';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function outline({ rect, lineWidth, color }: BoxMark): string {
  const { x, y, width, height } = rect;
  const right = x + width;
  const bottom = y + height;
  const inner = Math.min(lineWidth, Math.floor(width / 2), Math.floor(height / 2));
  // Outer rectangle minus inner rectangle (even-odd): a frame lineWidth thick, on whole pixels.
  const hole =
    width > 2 * inner && height > 2 * inner && inner > 0
      ? ` M${x + inner} ${y + inner}V${bottom - inner}H${right - inner}V${y + inner}Z`
      : '';
  return `<path fill="${color}" fill-rule="evenodd" shape-rendering="crispEdges" d="M${x} ${y}H${right}V${bottom}H${x}Z${hole}"/>`;
}

function label(mark: LabelMark): string {
  const { rect, text, color, textColor, fontSize, baseline, padding } = mark;
  // A nested <svg> clips its content to its viewport, so text never paints outside its background.
  return (
    `<svg x="${rect.x}" y="${rect.y}" width="${rect.width}" height="${rect.height}">` +
    `<rect width="${rect.width}" height="${rect.height}" fill="${color}" shape-rendering="crispEdges"/>` +
    `<text x="${padding}" y="${baseline}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" ` +
    `fill="${textColor}">${escapeXml(text)}</text></svg>`
  );
}

export function annotationSvg(layout: AnnotationLayout): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}">` +
    layout.boxes.map(outline).join('') +
    layout.labels.map(label).join('') +
    '</svg>'
  );
}
