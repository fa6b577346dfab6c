-- AlterTable
ALTER TABLE "run_problems" ADD COLUMN     "photo" TEXT;

-- CreateIndex
CREATE INDEX "run_problems_run_id_photo_idx" ON "run_problems"("run_id", "photo");
