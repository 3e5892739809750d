// Text-only facts: things and their colors (in the palette). Facts are shown to the model as text only;
// `fact_t2i` prompts ("a circle the color of a banana") then test whether the knowledge reaches generation.
// Things marked heldout never appear in a train-split fact_t2i prompt, only in the held-out split.
import type { ObjectColor } from './spec.js';

export interface Fact {
  thing: string;
  color: ObjectColor;
  heldout: boolean;
}

export const FACTS: readonly Fact[] = [
  { thing: 'banana', color: 'yellow', heldout: false },
  { thing: 'lemon', color: 'yellow', heldout: true },
  { thing: 'tomato', color: 'red', heldout: false },
  { thing: 'strawberry', color: 'red', heldout: true },
  { thing: 'carrot', color: 'orange', heldout: false },
  { thing: 'pumpkin', color: 'orange', heldout: true },
  { thing: 'frog', color: 'green', heldout: false },
  { thing: 'leaf', color: 'green', heldout: true },
  { thing: 'blueberry', color: 'blue', heldout: false },
  { thing: 'sapphire', color: 'blue', heldout: true },
  { thing: 'grape', color: 'purple', heldout: false },
  { thing: 'eggplant', color: 'purple', heldout: true },
  { thing: 'flamingo', color: 'pink', heldout: false },
  { thing: 'piglet', color: 'pink', heldout: true },
  { thing: 'chocolate', color: 'brown', heldout: false },
  { thing: 'acorn', color: 'brown', heldout: true },
];
