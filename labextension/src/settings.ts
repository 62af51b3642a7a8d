/**
 * The extension's settings, as JupyterLab's Settings Editor shows them.
 *
 * The schema is `labextension/schema/notebook.json` (the `jupyter-sessions:notebook`
 * plugin's); it defines each key, its default and its bounds, and the Settings
 * Editor refuses what it does not allow. This module holds the values the page uses
 * now: the defaults until the setting registry answers, and always where there is
 * none (Voilà, an app without the settings plugin). Read `settings.current`; hear of
 * a change with `settings.changed`.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

/** Every setting, by its key in the schema. */
export interface ISettings {
  /** Keep a picture of each live view in the saved notebook. */
  pictures: boolean;
  /** A picture's largest side, in CSS pixels. */
  pictureMaxSide: number;
  /** The largest picture kept, in KB of the notebook file. */
  pictureMaxKB: number;
  /** Minutes after which a session no page has shown closes itself; null: never. */
  timeToLiveMinutes: number | null;
  /** Show the status bar item. */
  statusBar: boolean;
}

/** The schema's defaults, repeated for pages without a setting registry. */
export const DEFAULT_SETTINGS: Readonly<ISettings> = Object.freeze({
  pictures: true,
  pictureMaxSide: 800,
  pictureMaxKB: 300,
  timeToLiveMinutes: null,
  statusBar: true
});

/** The values in use now, and a signal when they change. */
export class SessionsSettings {
  /** The settings now (the defaults until the registry has answered). */
  get current(): Readonly<ISettings> {
    return this._current;
  }

  /** Emitted with the new values when the user changes a setting. */
  get changed(): ISignal<this, Readonly<ISettings>> {
    return this._changed;
  }

  /**
   * Follow the plugin's settings in `registry` (none: the defaults stay).
   *
   * Called once, by the plugin that owns the schema; a failure to load is
   * logged and leaves the defaults in place.
   */
  async load(registry: ISettingRegistry | null, pluginId: string): Promise<void> {
    if (!registry) {
      return;
    }
    try {
      const plugin = await registry.load(pluginId);
      this.update(plugin);
      plugin.changed.connect(this.update, this);
    } catch (reason) {
      console.warn('[jupyter-sessions] could not load the settings; using defaults', reason);
    }
  }

  private update(plugin: ISettingRegistry.ISettings): void {
    this._current = settingsOf(plugin.composite);
    this._changed.emit(this._current);
  }

  private _current: Readonly<ISettings> = DEFAULT_SETTINGS;
  private _changed = new Signal<this, Readonly<ISettings>>(this);
}

/**
 * The settings in `composite`, each key of the wrong type replaced by its default.
 *
 * The registry has validated them against the schema already; this only keeps a
 * hand-edited settings file from reaching the code with a string for a number.
 */
export function settingsOf(composite: Readonly<Record<string, unknown>>): ISettings {
  const result: ISettings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof ISettings)[]) {
    const value = composite[key];
    const fallback = DEFAULT_SETTINGS[key];
    const fits =
      typeof value === typeof fallback ||
      (key === 'timeToLiveMinutes' && (value === null || typeof value === 'number'));
    if (fits && value !== undefined) {
      (result as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return result;
}

/** The page's settings: one for the whole page, as the registry is. */
export const settings = new SessionsSettings();
