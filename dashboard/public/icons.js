// @ts-check
// Weather icons as inline SVG, keyed by OpenWeather's icon code (01d, 10n, ...):
// drawn here so the page needs no icon font, emoji font or image from the internet.

const SVG_NS = 'http://www.w3.org/2000/svg';

const SUN =
  '<circle cx="24" cy="24" r="8" fill="#f7c548"/><g stroke="#f7c548" stroke-width="2.5" stroke-linecap="round"><path d="M24 6v5M24 37v5M6 24h5M37 24h5M11.3 11.3l3.5 3.5M33.2 33.2l3.5 3.5M11.3 36.7l3.5-3.5M33.2 14.8l3.5-3.5"/></g>';
const MOON = '<path d="M30 8a14 14 0 1 0 10 22A12 12 0 0 1 30 8z" fill="#d9e3f0"/>';
const CLOUD = (fill = '#c9d6e6', dx = 0, dy = 0) =>
  `<path transform="translate(${dx} ${dy})" d="M14 36h20a8 8 0 0 0 0-16 11 11 0 0 0-21-1A8.5 8.5 0 0 0 14 36z" fill="${fill}"/>`;
const RAIN = '<g stroke="#6cc3ff" stroke-width="2.2" stroke-linecap="round"><path d="M17 39l-2 5M24 39l-2 5M31 39l-2 5"/></g>';
const SNOW = '<g fill="#eaf4ff"><circle cx="16" cy="41" r="1.8"/><circle cx="24" cy="43" r="1.8"/><circle cx="32" cy="41" r="1.8"/></g>';
const BOLT = '<path d="M25 34l-5 8h4l-2 6 7-9h-4l2-5z" fill="#f7c548"/>';
const FOG = '<g stroke="#9fb2c8" stroke-width="2.5" stroke-linecap="round"><path d="M8 18h30M12 25h28M8 32h30M14 39h22"/></g>';

/** @param {string | null | undefined} code */
function body(code) {
  const kind = String(code ?? '').slice(0, 2);
  const night = String(code ?? '').endsWith('n');
  const sky = night ? MOON : SUN;
  switch (kind) {
    case '01':
      return sky;
    case '02':
      return `<g transform="translate(-6 -6) scale(.8)">${sky}</g>${CLOUD('#c9d6e6', 4, 4)}`;
    case '03':
      return CLOUD('#c9d6e6', 0, 2);
    case '04':
      return `${CLOUD('#8fa3bb', -5, -4)}${CLOUD('#c9d6e6', 3, 3)}`;
    case '09':
      return `${CLOUD('#a9b8cb', 0, -4)}${RAIN}`;
    case '10':
      return `<g transform="translate(-6 -8) scale(.8)">${sky}</g>${CLOUD('#a9b8cb', 2, -3)}${RAIN}`;
    case '11':
      return `${CLOUD('#7f8ea3', 0, -5)}${BOLT}`;
    case '13':
      return `${CLOUD('#d5e0ec', 0, -4)}${SNOW}`;
    case '50':
      return FOG;
    default:
      return '<circle cx="24" cy="24" r="6" fill="none" stroke="#8da2bd" stroke-width="2" stroke-dasharray="3 3"/>';
  }
}

/**
 * An <svg> element for the icon code (the markup is this file's own constants, never data).
 * @param {string | null | undefined} code OpenWeather's icon code
 * @param {string | null | undefined} label what a screen reader says
 * @returns {SVGSVGElement}
 */
export function weatherIcon(code, label) {
  const template = document.createElement('template');
  template.innerHTML = `<svg xmlns="${SVG_NS}" viewBox="0 0 48 48" role="img">${body(code)}</svg>`;
  const svg = template.content.firstElementChild;
  if (!(svg instanceof SVGSVGElement)) throw new Error('weather icon markup did not make an <svg>');
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = label ?? '';
  svg.prepend(title);
  return svg;
}

export { SVG_NS };
