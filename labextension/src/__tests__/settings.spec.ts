import schema from '../../schema/notebook.json';
import { DEFAULT_SETTINGS, settingsOf } from '../settings';

describe('settings', () => {
  it("repeats the schema's keys and defaults", () => {
    const defaults = Object.fromEntries(
      Object.entries(schema.properties).map(([key, spec]) => [
        key,
        (spec as { default: unknown }).default
      ])
    );
    expect(defaults).toEqual({ ...DEFAULT_SETTINGS });
  });

  it('keeps a default where a value has the wrong type', () => {
    const values = settingsOf({ pictures: 'no', pictureMaxSide: 200, timeToLiveMinutes: 5 });
    expect(values).toEqual({ ...DEFAULT_SETTINGS, pictureMaxSide: 200, timeToLiveMinutes: 5 });
    expect(settingsOf({ timeToLiveMinutes: '5' }).timeToLiveMinutes).toBeNull();
    expect(settingsOf({ statusBar: false }).statusBar).toBe(false);
  });
});
