-- CreateTable
CREATE TABLE "label_prototype_cells" (
    "id" BIGSERIAL NOT NULL,
    "collection" TEXT NOT NULL,
    "dataset_id" UUID NOT NULL,
    "split" TEXT NOT NULL,
    "damage_types" TEXT[] NOT NULL,
    "zone" TEXT NOT NULL,
    "crops" INTEGER NOT NULL,
    "sum" BYTEA NOT NULL,

    CONSTRAINT "label_prototype_cells_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "label_prototype_cells_collection_dataset_id_idx" ON "label_prototype_cells"("collection", "dataset_id");

-- AddForeignKey
ALTER TABLE "label_prototype_cells" ADD CONSTRAINT "label_prototype_cells_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
