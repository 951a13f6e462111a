// A GetMetricData stand-in for the ecommerce breakdown that answers at whatever period and window it is asked,
// so a test sees what reading each series at its own alarms' period does. Each series has an expected rate a
// minute and, from ANOMALY_START on, an observed one; a period's value is the sum of its minutes, its band the
// expected sum ± bandWidth × 5 % (the width the request's ANOMALY_DETECTION_BAND names). Answers in the shape
// GetMetricData returns: e1 (the filled metric) and ad1 twice (lower and upper), per timestamp.
import type { GetMetricDataCommandInput, MetricDataResult } from "@aws-sdk/client-cloudwatch";

/** Minute the anomaly starts (it goes on): 10:06 on the day of the alarm fixtures. */
export const ANOMALY_START = Date.parse("2025-03-04T10:06:00Z");

/** Per series key (`total`, `Platform=web`): [expected a minute, observed a minute from ANOMALY_START]. */
export const REVENUE_SPIKE: Record<string, [number, number]> = {
    "total": [2000, 5000],
    // Platform: web +2700 a minute, ios +200, _other +100 (adds up to the total's +3000)
    "Platform=web": [1200, 3900], "Platform=ios": [500, 700], "Platform=_other": [300, 400],
    // Marketplace: US +2500, DE +200, _other +300
    "Marketplace=US": [1000, 3500], "Marketplace=DE": [400, 600], "Marketplace=_other": [600, 900],
};

export function seriesKey(input: GetMetricDataCommandInput): string {
    const dim = input.MetricDataQueries!.find((q) => q.MetricStat)!.MetricStat!.Metric!.Dimensions!.find((d) => d.Name !== "Stack");
    return dim ? `${dim.Name}=${dim.Value}` : "total";
}

/** The answer for one GetMetricData request over `rates` (a series not in `rates` has no datapoints). */
export function answer(input: GetMetricDataCommandInput, rates: Record<string, [number, number]> = REVENUE_SPIKE): { MetricDataResults: MetricDataResult[] } {
    const q = input.MetricDataQueries!;
    const period = q.find((x) => x.MetricStat)!.MetricStat!.Period! * 1000;
    const width = Number(/ANOMALY_DETECTION_BAND\(e1, ([\d.]+)\)/.exec(q.find((x) => x.Id === "ad1")!.Expression!)![1]);
    const rate = rates[seriesKey(input)];
    const T: Date[] = [];
    const values: number[] = [];
    const lower: number[] = [];
    const upper: number[] = [];
    for (let t = new Date(input.StartTime!).getTime(); rate && t < new Date(input.EndTime!).getTime(); t += period) {
        let observed = 0;
        for (let m = t; m < t + period; m += 60_000) observed += m >= ANOMALY_START ? rate[1] : rate[0];
        const expected = rate[0] * (period / 60_000);
        T.push(new Date(t));
        values.push(observed);
        lower.push(expected * (1 - width * 0.05));
        upper.push(expected * (1 + width * 0.05));
    }
    return { MetricDataResults: [
        { Id: "e1", StatusCode: "Complete", Timestamps: T, Values: values },
        { Id: "ad1", StatusCode: "Complete", Timestamps: T, Values: lower },
        { Id: "ad1", StatusCode: "Complete", Timestamps: T, Values: upper },
    ] };
}
