-- CreateTable
CREATE TABLE "collection_whitenings" (
    "collection" TEXT NOT NULL,
    "output_dimension" INTEGER NOT NULL,
    "input_dimension" INTEGER NOT NULL,
    "power" DOUBLE PRECISION NOT NULL,
    "fitted_on" INTEGER NOT NULL,
    "collection_crops" INTEGER NOT NULL,
    "mean" BYTEA NOT NULL,
    "projection" BYTEA NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "collection_whitenings_pkey" PRIMARY KEY ("collection")
);
