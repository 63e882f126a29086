# Reference values of itp_stats.stats.calibration and itp_stats.stats.adjusted
# (tests/test_calibration.py, tests/test_adjusted.py).
# Run from tests/r:  Rscript calibration.R > calibration.out
# Data: calibration_data.csv (tests/stats_data.py calibration_cohort()); bootstrap resample
# indices (1-based, 50 x 60): calibration_boot.csv, written by
# itp_stats.stats.calibration.bootstrap_indices(60, 50, 20230601) + 1.
suppressPackageStartupMessages({ library(rms); library(pROC); library(brglm2) })
options(digits = 15)
d <- read.csv("calibration_data.csv")
d$y <- as.numeric(d$outcome == "yes")
boot <- as.matrix(read.csv("calibration_boot.csv", header = FALSE))

measures <- function(fit, data) {
  lp <- predict(fit, newdata = data)          # linear predictor
  p <- plogis(lp)
  auc <- as.numeric(pROC::auc(data$y, lp, direction = "<", quiet = TRUE))
  intercept <- coef(glm(data$y ~ 1, offset = lp, family = binomial))[1]
  slope <- coef(glm(data$y ~ lp, family = binomial))[2]
  c(auc = auc, brier = mean((data$y - p)^2), intercept = unname(intercept),
    slope = unname(slope))
}
fit <- glm(y ~ marker, data = d, family = binomial)
apparent <- measures(fit, d)
cat("apparent", apparent, "\n")
lp <- predict(fit)
cat("auc delong ci", as.numeric(ci.auc(d$y, lp, direction = "<", method = "delong",
                                        quiet = TRUE))[c(1, 3)], "\n")
cal <- glm(d$y ~ 1, offset = lp, family = binomial)
cat("intercept confint.default", confint.default(cal), "\n")
sl <- glm(d$y ~ lp, family = binomial)
cat("slope confint.default", confint.default(sl)[2, ], "\n")
v <- val.prob(plogis(lp), d$y, pl = FALSE)
cat("val.prob Brier Intercept Slope", v[c("Brier", "Intercept", "Slope")], "\n")
# Harrell's optimism bootstrap by hand, on the same resamples as the Python code
diffs <- t(apply(boot, 1, function(i) {
  b <- d[i, ]
  fb <- glm(y ~ marker, data = b, family = binomial)
  measures(fb, b) - measures(fb, d)
}))
optimism <- colMeans(diffs)
cat("optimism", optimism, "\n")
cat("corrected", apparent - optimism, "\n")
lw <- lowess(plogis(lp), d$y, iter = 0)
cat("lowess first 3 x", lw$x[1:3], "y", lw$y[1:3], "\n")

# adjusted model: sex F and phase chronic are the reference levels (first in sorted order)
d$sex <- factor(d$sex); d$phase <- factor(d$phase)
adj <- glm(y ~ I(marker / 100) + age + sex + phase, data = d, family = binomial)
cat("adjusted OR", exp(coef(adj))[-1], "\n")
cat("adjusted CI low", exp(confint.default(adj))[-1, 1], "\n")
cat("adjusted CI high", exp(confint.default(adj))[-1, 2], "\n")
cat("adjusted p", summary(adj)$coefficients[-1, 4], "\n")
# separated: the outcome is marker < 220 exactly; Firth's estimate (brglm2 AS_mean)
d$ys <- as.numeric(d$marker < 220)
firth <- glm(ys ~ I(marker / 100) + age + sex + phase, data = d, family = binomial,
             method = "brglmFit", type = "AS_mean")
cat("firth OR", exp(coef(firth))[-1], "\n")
cat("firth CI low", exp(confint.default(firth))[-1, 1], "\n")
cat("firth CI high", exp(confint.default(firth))[-1, 2], "\n")
