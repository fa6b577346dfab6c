-- AlterEnum
ALTER TYPE "RunKind" ADD VALUE 'INDEX';
