import { useState } from 'preact/hooks';
import { formatPercent } from '../format';
import type { Box, Crop, Defect } from '../queries';

/**
 * The photo the crop was cut from (`<imageUrl>/source`), with the crop's window and its defects'
 * boxes drawn over it. The SVG takes the photo's pixel size as its viewBox once it has
 * loaded, which lays the boxes over the image at any displayed size.
 */
export function SourceFigure({ crop }: { crop: Crop }) {
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [failed, setFailed] = useState(false);
  if (failed) {
    return (
      <p class="muted small">
        The source photo is not available on the server (its dataset folder moved?); the crop below still shows its
        defects.
      </p>
    );
  }
  const offset = { x: crop.box.x, y: crop.box.y };
  return (
    <figure class="crop-figure">
      <div class="overlay-frame">
        <img
          src={`${crop.imageUrl}/source`}
          alt={`The photo ${crop.sourceImage}`}
          onLoad={(event) =>
            setSize({ width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })
          }
          onError={() => setFailed(true)}
        />
        {size && (
          <svg
            class="overlay"
            viewBox={`0 0 ${size.width} ${size.height}`}
            preserveAspectRatio="none"
            role="img"
            aria-label="The crop's window and its defect boxes"
            data-testid="source-overlay"
          >
            <rect
              class="crop-box"
              x={crop.box.x}
              y={crop.box.y}
              width={crop.box.width}
              height={crop.box.height}
              data-testid="crop-box"
            />
            {crop.defects.map((defect, index) => (
              <DefectBox key={index} box={defect.box} offset={offset} partial={defect.visibleFraction < 1} />
            ))}
          </svg>
        )}
      </div>
      <figcaption>
        <code>{crop.sourceImage}</code>: the crop's {crop.box.width}×{crop.box.height} window at ({crop.box.x},{' '}
        {crop.box.y}) in yellow
        {crop.defects.length > 0 ? ', its defects in red (dashed: partly outside the crop).' : '.'}
      </figcaption>
    </figure>
  );
}

/** The crop itself, with its defects' boxes and visible polygons in crop pixels. */
export function CropFigure({ crop }: { crop: Crop }) {
  const { width, height } = crop.box;
  return (
    <figure class="crop-figure">
      <div class="overlay-frame">
        <img src={crop.imageUrl} alt={crop.textDescription} width={width} height={height} />
        <svg
          class="overlay"
          viewBox={`0 0 ${width} ${height}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${crop.defects.length} defect boxes`}
          data-testid="overlay"
        >
          {crop.defects.map((defect, index) => (
            <DefectPolygon key={`polygon-${index}`} defect={defect} />
          ))}
          {crop.defects.map((defect, index) => (
            <DefectBox
              key={index}
              box={defect.box}
              offset={{ x: 0, y: 0 }}
              label={`${index + 1}. ${defect.type}`}
              partial={defect.visibleFraction < 1}
            />
          ))}
        </svg>
      </div>
      <figcaption>
        The crop ({width}×{height} px)
        {crop.defects.length > 0
          ? ` with its ${crop.defects.length} defect box${crop.defects.length === 1 ? '' : 'es'}`
          : ', no defects'}
        {crop.defects.length > 0 ? ' and the visible part of each polygon (red: a critical damage type)' : ''}.
      </figcaption>
    </figure>
  );
}

/**
 * The visible part of a defect's polygon in crop pixels, red when its damage type is critical.
 * Crops indexed before polygons were stored have none: their box stands in.
 */
function DefectPolygon({ defect }: { defect: Defect }) {
  const className = defect.critical ? 'defect-polygon critical' : 'defect-polygon';
  if (defect.polygon.length < 3) {
    const { x, y, width, height } = defect.box;
    return <rect class={className} x={x} y={y} width={width} height={height} data-testid="defect-polygon" />;
  }
  return (
    <polygon
      class={className}
      points={defect.polygon.map(([x, y]) => `${x},${y}`).join(' ')}
      data-testid="defect-polygon"
    />
  );
}

/**
 * A result card's defects drawn over its thumbnail. The viewBox is the crop's size and `slice`
 * matches the thumbnail's `object-fit: cover`, so the outlines stay on the defects.
 */
export function DefectOutlines({ crop }: { crop: Crop }) {
  if (crop.defects.length === 0) return null;
  return (
    <svg
      class="overlay card-overlay"
      viewBox={`0 0 ${crop.box.width} ${crop.box.height}`}
      preserveAspectRatio="xMidYMid slice"
      aria-hidden="true"
    >
      {crop.defects.map((defect, index) => (
        <DefectPolygon key={index} defect={defect} />
      ))}
    </svg>
  );
}

/** A defect's box, moved by `offset` (the crop's place on the photo); labelled where it is drawn large enough to read. */
function DefectBox({
  box,
  offset,
  label,
  partial,
}: {
  box: Box;
  offset: { x: number; y: number };
  label?: string;
  partial: boolean;
}) {
  const x = box.x + offset.x;
  const y = box.y + offset.y;
  return (
    <g class={partial ? 'defect-box partial' : 'defect-box'} data-testid="defect-box">
      <rect x={x} y={y} width={box.width} height={box.height} />
      {label && (
        <text x={x + 3} y={box.y > 14 ? y - 4 : y + box.height + 12}>
          {label}
        </text>
      )}
    </g>
  );
}

export function DefectTable({ crop }: { crop: Crop }) {
  if (crop.defects.length === 0) return null;
  return (
    <div class="table-scroll">
      <table>
        <caption>Defects in this crop</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Type</th>
            <th scope="col">Label</th>
            <th scope="col">Box (crop px)</th>
            <th scope="col">Visible</th>
          </tr>
        </thead>
        <tbody>
          {crop.defects.map((defect, index) => (
            <tr key={index}>
              <td>{index + 1}</td>
              <td>{defect.type}</td>
              <td>{defect.label}</td>
              <td>
                {Math.round(defect.box.width)}×{Math.round(defect.box.height)} at ({Math.round(defect.box.x)},{' '}
                {Math.round(defect.box.y)})
              </td>
              <td>{formatPercent(defect.visibleFraction)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
