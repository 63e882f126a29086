# Reference values of the shipped study's time-to-event results (tests/test_study_survival.py):
# data/cohort.csv, the analysed patients (follow-up of 6 months or more, a response), the two
# endpoints of data/study.yaml. Run from tests/r:
#   Rscript survival_shipped.R > survival_shipped.csv
suppressPackageStartupMessages(library(survival))
d <- read.csv("../../data/cohort.csv")
d <- d[d$followup_months >= 6 & d$response_m6 != "" & !is.na(d$response_m6), ]
d$response <- factor(d$response_m6, levels = c("CR", "PR", "NR"))
d$sex <- factor(d$sex, levels = c("F", "M"))
out <- data.frame(endpoint = character(), quantity = character(), group = character(),
                  value = numeric())
put <- function(endpoint, quantity, group, value) {
  out <<- rbind(out, data.frame(endpoint = endpoint, quantity = quantity, group = group,
                                value = value))
}
endpoints <- list(
  duration_of_response = list(time = "relapse_months", event = "relapse", pop = c("CR", "PR")),
  time_to_next_treatment = list(time = "next_treatment_months", event = "next_treatment",
                                pop = c("CR", "PR", "NR"))
)
for (name in names(endpoints)) {
  ep <- endpoints[[name]]
  x <- d[d$response %in% ep$pop, ]
  x$response <- droplevels(x$response)
  x$t <- x[[ep$time]]
  x$e <- as.integer(x[[ep$event]] == "yes")
  # survfit(Surv(t, e) ~ response, conf.type = "log-log"): medians and their intervals
  fit <- survfit(Surv(t, e) ~ response, data = x, conf.type = "log-log")
  q <- quantile(fit, 0.5)
  groups <- levels(x$response)
  for (i in seq_along(groups)) {
    put(name, "median", groups[i], q$quantile[i])
    put(name, "median_low", groups[i], q$lower[i])
    put(name, "median_high", groups[i], q$upper[i])
  }
  all <- survfit(Surv(t, e) ~ 1, data = x, conf.type = "log-log")
  qa <- quantile(all, 0.5)
  put(name, "median", "all", qa$quantile); put(name, "median_low", "all", qa$lower)
  put(name, "median_high", "all", qa$upper)
  # summary(fit, times = 12, 24): survival at the landmarks within every group's follow-up
  for (lm in c(12, 24)) {
    s <- summary(all, times = lm)
    put(name, paste0("surv_", lm), "all", s$surv)
    put(name, paste0("surv_low_", lm), "all", s$lower)
    put(name, paste0("surv_high_", lm), "all", s$upper)
  }
  # reverse Kaplan-Meier: quantile(survfit(Surv(t, 1 - e) ~ 1, conf.type = "log-log"), 0.5)
  rev <- quantile(survfit(Surv(t, 1 - e) ~ 1, data = x, conf.type = "log-log"), 0.5)
  put(name, "followup", "all", rev$quantile); put(name, "followup_low", "all", rev$lower)
  put(name, "followup_high", "all", rev$upper)
  # survdiff(Surv(t, e) ~ response)
  sd <- survdiff(Surv(t, e) ~ response, data = x)
  put(name, "logrank_chisq", "", sd$chisq)
  put(name, "logrank_p", "", pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE))
  # coxph(Surv(t, e) ~ I(nk_m0 / 100), ties = "efron"), then + age_years + sex
  cx <- coxph(Surv(t, e) ~ I(nk_m0 / 100), data = x, ties = "efron")
  ci <- exp(confint.default(cx))
  put(name, "hr", "", exp(coef(cx))); put(name, "hr_low", "", ci[1]); put(name, "hr_high", "", ci[2])
  put(name, "hr_p", "", summary(cx)$coefficients[1, 5])
  ca <- coxph(Surv(t, e) ~ I(nk_m0 / 100) + age_years + sex, data = x, ties = "efron")
  ca_ci <- exp(confint.default(ca))
  terms <- c("nk_m0", "age_years", "sex: M")
  for (j in 1:3) {
    put(name, "hr_adjusted", terms[j], exp(coef(ca))[j])
    put(name, "hr_adjusted_low", terms[j], ca_ci[j, 1])
    put(name, "hr_adjusted_high", terms[j], ca_ci[j, 2])
    put(name, "hr_adjusted_p", terms[j], summary(ca)$coefficients[j, 5])
  }
  # cox.zph(fit) (transform = "km", survival >= 3.0)
  z <- cox.zph(cx)
  put(name, "zph_chisq", "GLOBAL", z$table["GLOBAL", "chisq"])
  put(name, "zph_p", "GLOBAL", z$table["GLOBAL", "p"])
  za <- cox.zph(ca)
  zterms <- c("nk_m0", "age_years", "sex", "GLOBAL")
  for (j in 1:4) {
    put(name, "zph_adjusted_chisq", zterms[j], za$table[j, "chisq"])
    put(name, "zph_adjusted_p", zterms[j], za$table[j, "p"])
  }
}
write.csv(out, stdout(), row.names = FALSE, na = "NA")
