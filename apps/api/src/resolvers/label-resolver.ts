import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root, UseMiddleware } from 'type-graphql';
import { addDefectLabel, markNoDamage, removeLabel } from '@defect-rag/ingestion';
import type { AnalystLabelRecord } from '@defect-rag/runs';
import { labelChecks, parseInput } from '@defect-rag/interface';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { Crop } from '../types/crop';
import { AnalystLabel, DefectLabelInput, LabelChange, NoDamageInput } from '../types/label';
import { Photo } from '../types/photo';

/**
 * The label, and the RELABEL run that recomputes its dataset's points (null: one follows the run in
 * progress). A label whose run cannot start (a dataset outside the API's folders, never ingested
 * here) is taken back with `undo`, so that the error leaves nothing stored.
 */
async function changed(
  context: ApiContext,
  label: AnalystLabelRecord,
  undo?: () => Promise<unknown>,
): Promise<LabelChange> {
  try {
    const run = await context.runs.startRelabel(label.datasetId, { labelId: label.id, photoId: label.photoId });
    return { label: AnalystLabel.from(label), runId: run?.id ?? null };
  } catch (error) {
    await undo?.();
    throw error;
  }
}

@Resolver()
@UseMiddleware(WithinDeadline)
export class LabelResolver {
  @Mutation(() => LabelChange, {
    description:
      "Labels a damage polygon of a type on a photo, written by the request's API key (or `local`), and starts the RELABEL run that recuts the photo as labelled. BAD_USER_INPUT, nothing stored, for a photo not in the index, a polygon outside it or of fewer than 3 points, a type not in the dataset's taxonomy.",
  })
  async addDefectLabel(
    @Arg('input', () => DefectLabelInput) input: DefectLabelInput,
    @Ctx() context: ApiContext,
  ): Promise<LabelChange> {
    const polygon = input.polygon.map(({ x, y }) => [x, y] as const);
    const label = await addDefectLabel(context.backend, { ...input, polygon }, context.author);
    return changed(context, label, () => context.backend.db.labels.deleteOwn(label.id, label.author));
  }

  @Mutation(() => LabelChange, {
    description:
      'Marks a window of a photo (one of its crops, or a box) "no damage here"; a photo with only such marks is a clean labelled photo. Starts the RELABEL run.',
  })
  async markNoDamage(
    @Arg('input', () => NoDamageInput) input: NoDamageInput,
    @Ctx() context: ApiContext,
  ): Promise<LabelChange> {
    const label = await markNoDamage(context.backend, input, context.author);
    return changed(context, label, () => context.backend.db.labels.deleteOwn(label.id, label.author));
  }

  @Mutation(() => LabelChange, {
    description:
      "Removes one of your own labels (FORBIDDEN for another author's, nothing removed; NOT_FOUND for an unknown id) and starts the RELABEL run.",
  })
  async removeLabel(@Arg('id', () => ID) id: string, @Ctx() context: ApiContext): Promise<LabelChange> {
    return changed(
      context,
      await removeLabel(context.backend, parseInput(labelChecks.labelId, id, 'id'), context.author),
    );
  }
}

@Resolver(() => Photo)
export class PhotoLabelsResolver {
  @FieldResolver(() => [AnalystLabel], { description: "Analysts' labels of the photo, oldest first." })
  async labels(@Root() photo: Photo, @Ctx() { backend }: ApiContext): Promise<AnalystLabel[]> {
    return (await backend.db.labels.forPhotos([photo.imageId])).map(AnalystLabel.from);
  }
}

@Resolver(() => Crop)
export class CropLabelsResolver {
  @FieldResolver(() => [AnalystLabel], { description: "Analysts' labels of the photo it was cut from, oldest first." })
  async labels(@Root() crop: Crop, @Ctx() { backend }: ApiContext): Promise<AnalystLabel[]> {
    return (await backend.db.labels.forPhotos([crop.imageId])).map(AnalystLabel.from);
  }
}
