import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isDefectRagError } from '@defect-rag/runtime';
import { Check, CheckInput, validateInputArgument } from '../src/validation';

class Corner {
  @Check(z.number().min(0, 'must be ≥ 0'))
  x!: number;
}

@CheckInput<Rectangle>((input) => input.x + input.width <= 100, 'width', 'must end within 100')
class Rectangle extends Corner {
  @Check(z.number().positive('must be positive'))
  width!: number;
}

class Drawing {
  @Check(z.array(z.unknown()).max(3))
  boxes!: Rectangle[];
}

function problemsOf(value: unknown): string | undefined {
  try {
    validateInputArgument(value);
    return undefined;
  } catch (error) {
    if (!isDefectRagError(error, 'BAD_INPUT')) throw error;
    return error.message;
  }
}

describe('input checks', () => {
  it('an input class that extends another is checked on its own fields and on the fields it inherits', () => {
    const problems = problemsOf(Object.assign(new Rectangle(), { x: -1, width: 0 }));
    expect(problems).toContain('x: must be ≥ 0');
    expect(problems).toContain('width: must be positive');
  });

  it("rules across fields apply to the subclass, and a base class is not checked by its subclass's fields", () => {
    expect(problemsOf(Object.assign(new Rectangle(), { x: 60, width: 50 }))).toBe('width: must end within 100');
    expect(problemsOf(Object.assign(new Corner(), { x: 1, width: 0 }))).toBeUndefined();
  });

  it('checks the inputs nested in an input, lists included, and passes objects without a prototype through', () => {
    const drawing = Object.assign(new Drawing(), { boxes: [Object.assign(new Rectangle(), { x: -2, width: 5 })] });
    expect(problemsOf(drawing)).toBe('boxes.0.x: must be ≥ 0');
    expect(problemsOf(Object.create(null))).toBeUndefined();
  });
});
