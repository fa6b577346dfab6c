-- AlterEnum
ALTER TYPE "RunKind" ADD VALUE 'RELABEL';

-- CreateEnum
CREATE TYPE "AnalystLabelKind" AS ENUM ('DEFECT', 'NO_DAMAGE');

-- CreateTable
CREATE TABLE "analyst_labels" (
    "id" UUID NOT NULL,
    "dataset_id" UUID NOT NULL,
    "photo_id" TEXT NOT NULL,
    "source_image" TEXT NOT NULL,
    "kind" "AnalystLabelKind" NOT NULL,
    "damage_type" TEXT,
    "polygon" JSONB,
    "crop_id" TEXT,
    "box" JSONB,
    "author" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "analyst_labels_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "analyst_labels_dataset_id_photo_id_idx" ON "analyst_labels"("dataset_id", "photo_id");

-- AddForeignKey
ALTER TABLE "analyst_labels" ADD CONSTRAINT "analyst_labels_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
