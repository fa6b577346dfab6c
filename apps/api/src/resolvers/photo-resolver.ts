import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { getCrops, getPhoto } from '@defect-rag/search';
import { isDefectRagError } from '@defect-rag/runtime';
import { cropId, parseInput } from '@defect-rag/interface';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { Crop } from '../types/crop';
import { Photo } from '../types/photo';

@Resolver(() => Photo)
@UseMiddleware(WithinDeadline)
export class PhotoResolver {
  @Query(() => Photo, {
    nullable: true,
    description: 'A whole photo by its id (`photo:<imageId>`) or its image id; NOT_FOUND when the index has none.',
  })
  async photo(@Arg('id', () => ID) id: string, @Ctx() context: ApiContext): Promise<Photo> {
    const photoId = parseInput(cropId, id, 'id');
    return Photo.fromView(await getPhoto(context.backend, photoId), context.imageUrlBase);
  }

  @FieldResolver(() => [Crop], { description: 'Its crops in the index.' })
  async crops(@Root() photo: Photo, @Ctx() context: ApiContext): Promise<Crop[]> {
    return (await getCrops(context.backend, photo.cropIds)).map((crop) => Crop.fromView(crop, context.imageUrlBase));
  }
}

@Resolver(() => Crop)
@UseMiddleware(WithinDeadline)
export class CropPhotoResolver {
  @FieldResolver(() => Photo, {
    nullable: true,
    description:
      'The photo it was cut from (itself for a photo point); null when the index has no photo point for it (ingested before photo points existed).',
  })
  async photo(@Root() crop: Crop, @Ctx() context: ApiContext): Promise<Photo | null> {
    try {
      return Photo.fromView(
        await getPhoto(context.backend, crop.level === 'photo' ? crop.id : crop.imageId),
        context.imageUrlBase,
      );
    } catch (error) {
      if (isDefectRagError(error, 'PHOTO_NOT_FOUND')) return null;
      throw error;
    }
  }
}
