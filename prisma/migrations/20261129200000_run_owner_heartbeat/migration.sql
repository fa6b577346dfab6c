-- AlterEnum
ALTER TYPE "RunStatus" ADD VALUE 'INTERRUPTED';

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "heartbeat_at" TIMESTAMPTZ(3),
ADD COLUMN     "owner" TEXT;
