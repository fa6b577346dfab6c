-- CreateIndex
CREATE INDEX "runs_collection_created_at_idx" ON "runs"("collection", "created_at");
