import { useRef, useState } from 'preact/hooks';
import type { RegionBox } from '../queries';

interface Point {
  x: number;
  y: number;
}

/** Drags shorter than this (displayed pixels) are clicks, not regions. */
const MIN_DRAG = 4;

/**
 * The box between two points given in displayed pixels of an image, in the image's source pixels
 * (the API's region is in the uploaded photo's pixels, whatever size the page shows it at),
 * clamped to the image.
 */
export function toSourceBox(
  from: Point,
  to: Point,
  displayed: { width: number; height: number },
  natural: { width: number; height: number },
): RegionBox {
  const scaleX = natural.width / displayed.width;
  const scaleY = natural.height / displayed.height;
  const clamp = (value: number, max: number) => Math.min(max, Math.max(0, value));
  const x0 = Math.round(clamp(Math.min(from.x, to.x) * scaleX, natural.width));
  const y0 = Math.round(clamp(Math.min(from.y, to.y) * scaleY, natural.height));
  const x1 = Math.round(clamp(Math.max(from.x, to.x) * scaleX, natural.width));
  const y1 = Math.round(clamp(Math.max(from.y, to.y) * scaleY, natural.height));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The uploaded photo, on which a box dragged with the pointer becomes the query's region. The
 * overlay's viewBox is the photo's natural size, so the box is drawn in the same source pixels it
 * is sent in.
 */
export function RegionPicker({
  preview,
  name,
  region,
  onRegion,
  alt = `The uploaded photo ${name}`,
  hint = 'Drag a box on the photo to search a region of it.',
}: {
  preview: string;
  name: string;
  region: RegionBox | null;
  onRegion: (region: RegionBox | null) => void;
  alt?: string;
  /** What a drawn region is for, shown until there is one. */
  hint?: string;
}) {
  const image = useRef<HTMLImageElement>(null);
  const [natural, setNatural] = useState<{ width: number; height: number } | null>(null);
  const [drag, setDrag] = useState<{ from: Point; to: Point } | null>(null);

  // The frame is exactly the displayed image (the image sets its size).
  const pointIn = (event: PointerEvent): Point => {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };
  const boxOf = (from: Point, to: Point): RegionBox | null => {
    const element = image.current;
    if (!element || !natural) return null;
    const rect = element.getBoundingClientRect();
    return toSourceBox(from, to, { width: rect.width, height: rect.height }, natural);
  };
  const shown = drag ? boxOf(drag.from, drag.to) : region;

  return (
    <figure class="region-picker" data-testid="region-picker">
      <div
        class="overlay-frame drawable"
        onPointerDown={(event) => {
          if (!natural || event.button !== 0) return;
          event.preventDefault();
          event.currentTarget.setPointerCapture(event.pointerId);
          const point = pointIn(event);
          setDrag({ from: point, to: point });
        }}
        onPointerMove={(event) => drag && setDrag({ from: drag.from, to: pointIn(event) })}
        onPointerUp={(event) => {
          if (!drag) return;
          const to = pointIn(event);
          setDrag(null);
          if (Math.abs(to.x - drag.from.x) < MIN_DRAG || Math.abs(to.y - drag.from.y) < MIN_DRAG) return;
          const box = boxOf(drag.from, to);
          if (box && box.width > 0 && box.height > 0) onRegion(box);
        }}
        onPointerCancel={() => setDrag(null)}
      >
        <img
          ref={image}
          src={preview}
          alt={alt}
          draggable={false}
          onLoad={(event) =>
            setNatural({ width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })
          }
        />
        {natural && (
          <svg
            class="overlay"
            viewBox={`0 0 ${natural.width} ${natural.height}`}
            preserveAspectRatio="none"
            aria-hidden="true"
          >
            {shown && (
              <rect
                class="region-box"
                x={shown.x}
                y={shown.y}
                width={shown.width}
                height={shown.height}
                data-testid="region-box"
              />
            )}
          </svg>
        )}
      </div>
      <figcaption>
        {region ? (
          <>
            Region: {region.width}×{region.height} px at ({region.x}, {region.y}){' '}
            <button type="button" class="link-button" onClick={() => onRegion(null)} data-testid="clear-region">
              Clear region
            </button>
          </>
        ) : (
          hint
        )}
      </figcaption>
    </figure>
  );
}
